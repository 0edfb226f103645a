// Password rule shown next to every password input, so the first try can pass.

/**
 * Minimum password length, shown as help text.
 * NOTE: a copy of MIN_PASSWORD_LENGTH in the server's auth/password.ts, which the browser
 * bundle cannot import (it uses node:crypto). Change both together, because only the server's
 * value is enforced.
 */
export const MIN_PASSWORD_LENGTH = 12;
