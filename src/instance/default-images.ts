/**
 * Where the pictures of an account without its own are: Mastodon's paths for its default avatar and
 * header, served by Doorman itself so no answer points at another server.
 */
export const DEFAULT_AVATAR_PATH = '/avatars/original/missing.png';
export const DEFAULT_HEADER_PATH = '/headers/original/missing.png';
