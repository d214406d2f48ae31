import { badRequest } from './errors.js';

/**
 * Name rules shared by every entry point. Names end up in DynamoDB keys, S3 keys and
 * filesystem paths, so they are checked strictly: no '/', no '..', no control chars.
 */
const PROJECT_NAME = /^[\w-][\w.-]*$/;
const USER_NAME = /^[a-zA-Z0-9][\w.-]{0,63}$/;
const PACKAGE_NAME = /^[-+_.a-zA-Z0-9]+$/;
const CHROOT_NAME = /^[a-z0-9][a-z0-9._]*(-[a-z0-9._]+){2,}$/;

export const MAX_NAME_LENGTH = 100;

/**
 * Copr's column lengths for names, checked before a name reaches a store key: a
 * longer one can name nothing, and DynamoDB refuses keys over 2 KB (a 500 before).
 */
export const NAME_LIMITS = {
  owner: 128,
  project: MAX_NAME_LENGTH,
  dirname: 200,
  package: MAX_NAME_LENGTH,
  chroot: 150,
  user: MAX_NAME_LENGTH,
} as const;
export type NameKind = keyof typeof NAME_LIMITS;

/** 400 in Copr's form-error shape for a name that is too long or has control characters. */
export function assertNameLength(field: string, kind: NameKind, value: string): void {
  const max = NAME_LIMITS[kind];
  if (value.length > max) throw badRequest(`${field}: Field cannot be longer than ${max} characters.`);
  if (/[\u0000-\u001f\u007f]/.test(value)) throw badRequest(`${field}: Control characters are not allowed.`);
}

function noDots(name: string): boolean {
  return name !== '.' && name !== '..';
}

export function isValidProjectName(name: string): boolean {
  return (
    name.length > 0 &&
    name.length <= MAX_NAME_LENGTH &&
    PROJECT_NAME.test(name) &&
    !/^\d+$/.test(name) &&
    noDots(name)
  );
}

export function isValidUserName(name: string): boolean {
  return USER_NAME.test(name) && noDots(name);
}

/** Owner is a user name or `@group`. */
export function isValidOwnerName(owner: string): boolean {
  return owner.startsWith('@') ? isValidUserName(owner.slice(1)) : isValidUserName(owner);
}

export function isValidPackageName(name: string): boolean {
  return name.length <= MAX_NAME_LENGTH && PACKAGE_NAME.test(name) && noDots(name);
}

export function isValidChrootName(name: string): boolean {
  return name.length <= MAX_NAME_LENGTH && CHROOT_NAME.test(name);
}

export function assertProjectName(name: string): void {
  if (!isValidProjectName(name)) {
    throw badRequest(
      `name: Name must contain only letters, digits, underscores, dashes and dots, must not start with a dot, and must not be only digits.`,
    );
  }
}

export function assertOwnerName(owner: string): void {
  if (!isValidOwnerName(owner)) throw badRequest(`Invalid owner name '${owner}'`);
}

export function assertPackageName(name: string): void {
  // Copr's package name column holds 100 characters; its form says so before the pattern.
  if (name.length > MAX_NAME_LENGTH) throw badRequest(`package_name: Field cannot be longer than ${MAX_NAME_LENGTH} characters.`);
  if (!isValidPackageName(name)) {
    throw badRequest(`package_name: Please enter a valid package name in format: [-+_.a-zA-Z0-9]+`);
  }
}

/** Parsed mock chroot name: `<os_release>-<os_version>-<arch>`, parsed from the right. */
export interface ChrootParts {
  os_release: string;
  os_version: string;
  arch: string;
  /** `<os_release>-<os_version>`, used for repo files and distribution lists. */
  name_release: string;
}

export function parseChrootName(name: string): ChrootParts {
  const parts = name.split('-');
  if (parts.length < 3) throw badRequest(`Invalid chroot name '${name}'`);
  const arch = parts[parts.length - 1]!;
  const os_version = parts[parts.length - 2]!;
  const os_release = parts.slice(0, -2).join('-');
  return { os_release, os_version, arch, name_release: `${os_release}-${os_version}` };
}

/** `@group` → `g/group` as used in web URLs. */
export function ownerUrlPart(owner: string): string {
  return owner.startsWith('@') ? `g/${owner.slice(1)}` : owner;
}
