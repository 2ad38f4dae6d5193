import { createUser, deleteUser, listUsers, type UserRow } from '../accounts/users.js';
import { CommandError, text, type Command } from './command.js';

/** A user as the CLI prints it: never the password hash. */
function userEntity(user: UserRow) {
  return {
    id: String(user.id),
    username: user.username,
    email: user.email,
    display_name: user.displayName,
    created_at: new Date(user.createdAt).toISOString(),
  };
}

export const usersCreate: Command = {
  usage: 'users:create --username NAME --email EMAIL   (password: one line on stdin)',
  options: { username: { type: 'string' }, email: { type: 'string' } },
  required: ['username', 'email'],
  async run(deps, options, terminal) {
    const password = await terminal.readLine('Password: ');
    return userEntity(
      await createUser(deps, { username: text(options, 'username'), email: text(options, 'email'), password }),
    );
  },
};

export const usersList: Command = {
  usage: 'users:list',
  options: {},
  run: async (deps) => (await listUsers(deps)).map(userEntity),
};

export const usersDelete: Command = {
  usage: 'users:delete --username NAME',
  options: { username: { type: 'string' } },
  required: ['username'],
  async run(deps, options) {
    const username = text(options, 'username');
    if (!(await deleteUser(deps, username))) throw new CommandError(`no user named ${JSON.stringify(username)}`);
    return { deleted: true, username };
  },
};
