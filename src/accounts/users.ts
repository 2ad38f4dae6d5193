import type { Deps } from '../deps.js';
import { validationFailed } from '../errors.js';
import {
  countUsers as countUserRows,
  deleteUser as deleteUserRow,
  DuplicateUserError,
  insertUser,
  listUsers as listUserRows,
  type UserRow,
} from '../store/users.js';
import { hashPassword } from './passwords.js';

/** A user account as the services hand it up (the routes and the CLI see it from here, not from store/). */
export type { UserRow };

const USERNAME = /^[A-Za-z0-9_]{1,30}$/;
const MIN_PASSWORD_LENGTH = 8;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export interface NewUser {
  username: string;
  email: string;
  password: string;
  displayName?: string;
}

export async function createUser(deps: Pick<Deps, 'db' | 'clock'>, input: NewUser): Promise<UserRow> {
  if (!USERNAME.test(input.username)) throw validationFailed('username must be 1 to 30 letters, digits or underscores');
  if (input.email.length > 254 || !EMAIL.test(input.email))
    throw validationFailed('email is not a valid e-mail address');
  if (input.password.length === 0) throw validationFailed('password is empty');
  // NIST SP 800-63B: at least 8 characters (counted as characters, not UTF-16 units)
  if ([...input.password].length < MIN_PASSWORD_LENGTH)
    throw validationFailed(`password must be at least ${MIN_PASSWORD_LENGTH} characters`);
  if (input.password.length > 1024) throw validationFailed('password is longer than 1024 characters');
  const passwordHash = await hashPassword(input.password);
  try {
    return await insertUser(deps.db, {
      username: input.username,
      email: input.email,
      displayName: input.displayName ?? '',
      passwordHash,
      createdAt: deps.clock(),
    });
  } catch (err) {
    if (err instanceof DuplicateUserError) throw validationFailed(`${err.field} is already taken`);
    throw err;
  }
}

export function listUsers(deps: Pick<Deps, 'db'>): Promise<UserRow[]> {
  return listUserRows(deps.db);
}

/** Deleting a user deletes their tokens, codes and sessions with them. */
export function deleteUser(deps: Pick<Deps, 'db'>, username: string): Promise<boolean> {
  return deleteUserRow(deps.db, username);
}

/** How many accounts there are: the user count of the instance answers and NodeInfo. */
export function countUsers(deps: Pick<Deps, 'db'>): Promise<number> {
  return countUserRows(deps.db);
}
