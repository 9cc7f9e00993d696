// How the Pulumi engine writes values it cannot show in serialized property maps: secrets (an object
// marked with SIG_KEY) and values not known yet (sentinel strings). The drift report masks them, the
// plan shows them, the sandbox provider unwraps or produces them: one definition for all three.
// (pulumi/pulumi sdk/go/common/resource/properties.go, sdk/go/common/resource/plugin/rpc.go)

/** Key that marks a special value in serialized property maps (sdk/go/common/resource). */
export const SIG_KEY = '4dabf18193072939515e22adb298388d';
/** SIG_KEY's value on a secret: `{ [SIG_KEY]: SECRET_SIG, value }`. */
export const SECRET_SIG = '1b47061264138c4ac30d75fd1eb44270';
/** The unknown-string sentinel: a string output not known until the resource exists. */
export const UNKNOWN_STRING = '04da6b54-80e4-46f7-96ec-b56ff0331ba9';
/** Sentinels for unknown values (sdk/go/common/resource/plugin/rpc.go). */
export const UNKNOWN_SENTINELS: ReadonlySet<string> = new Set([
  '1c4a061d-8072-4f0a-a4cb-0ff528b18fe7', // bool
  '3eeb2bf0-c639-47a8-9e75-3b44932eb421', // number
  UNKNOWN_STRING,
  '6a19a0b0-7e62-4c92-b797-7f8e31da9cc2', // array
  '030794c1-ac77-496b-92df-f27374a8bd58', // asset
  'e48ece36-62e2-4504-bad9-02848725956a', // archive
  'dd056dcd-154b-4c76-9bd3-c8f88648b5ff', // object
]);

export function isSecretMarker(v: unknown): boolean {
  return typeof v === 'object' && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

export function isUnknownMarker(v: unknown): boolean {
  return typeof v === 'string' && UNKNOWN_SENTINELS.has(v);
}
