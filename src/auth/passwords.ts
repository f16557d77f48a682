/**
 * Password hashing with argon2id (the `argon2` package loads a prebuilt binary; nothing is compiled at install).
 * Parameters are argon2's defaults (64 MiB, t=3, p=4): about 50 ms per check here, slow enough for an attacker,
 * fine for sign-ins that are also rate limited.
 */
import argon2 from 'argon2';

export const MIN_PASSWORD_LENGTH = 10;

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, { type: argon2.argon2id });
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

// Verifying against a throwaway hash when the user does not exist keeps the answer time the same, so sign-in
// timing does not reveal which user names exist.
let dummy: Promise<string> | undefined;
export async function burnPasswordCheck(password: string): Promise<void> {
  dummy ??= hashPassword('qiao-no-such-user-placeholder');
  await verifyPassword(await dummy, password);
}

/** Why a new password is not acceptable, or undefined. */
export function passwordProblem(password: unknown, username?: string): string | undefined {
  if (typeof password !== 'string') return 'required';
  if ([...password].length < MIN_PASSWORD_LENGTH) return `at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > 256) return 'at most 256 characters';
  if (username && password.toLowerCase().includes(username.toLowerCase())) return 'must not contain the user name';
  return undefined;
}

/** A random password that is easy to type: 4 groups of 5 from an unambiguous alphabet (~98 bits). */
export function randomPassword(): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789';
  const bytes = crypto.getRandomValues(new Uint8Array(20));
  const chars = [...bytes].map((b) => alphabet[b % alphabet.length]);
  return [0, 5, 10, 15].map((i) => chars.slice(i, i + 5).join('')).join('-');
}
