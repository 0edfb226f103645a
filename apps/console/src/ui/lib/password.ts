// Password rule shown next to every password input, so the first try can pass.

/**
 * Minimum password length. The server enforces its own copy of this value (the browser
 * bundle cannot import server code).
 */
export const MIN_PASSWORD_LENGTH = 12;
