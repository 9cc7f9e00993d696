// ETags of a trail request are derived from its spec version: "v<version>".
import { DomainError } from '../errors.ts';

export const etagOf = (specVersion: number) => `"v${specVersion}"`;

/** Whether an If-Match header value (`*`, or a list of ETags, weak or strong) names this version. */
export function ifMatchAccepts(header: string, specVersion: number | undefined): boolean {
  if (specVersion === undefined) return false;
  const wanted = etagOf(specVersion);
  return header
    .split(',')
    .map((t) => t.trim().replace(/^W\//, ''))
    .some((t) => t === '*' || t === wanted);
}

/** Throws 412 unless If-Match is absent or names the current version. */
export function assertIfMatch(
  header: string | undefined,
  specVersion: number | undefined,
  what: string,
): void {
  if (header === undefined) return;
  if (!ifMatchAccepts(header, specVersion)) {
    throw new DomainError(
      'etag_mismatch',
      specVersion === undefined
        ? `If-Match given but ${what} does not exist`
        : `If-Match ${header} does not match the current ETag ${etagOf(specVersion)}: ${what} changed meanwhile; reload it and try again`,
    );
  }
}
