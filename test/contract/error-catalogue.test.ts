// Every problem `code` the sources can produce is in the catalogue (src/errors.ts ERROR_CATALOGUE), with
// the status it is thrown with. The sources are read as text: a new `new ConflictError('x', …)` anywhere
// fails here until `x` is catalogued, and a code built at run time (not a literal) fails too, since
// nothing could check it.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import t from 'tap';
import {
  ERROR_CATALOGUE,
  type ErrorCode,
  FASTIFY_ERROR_CODES,
  fromFrameworkError,
  OPERATION_ERROR_CATALOGUE,
  OPERATION_ERROR_CODES,
  type OperationErrorCode,
} from '../../src/errors.ts';

const srcDir = join(import.meta.dirname, '..', '..', 'src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'sandbox' || e.name === 'web' ? [] : sources(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** The error classes with a fixed status, and how their first argument becomes the code. */
const CLASSES: Record<string, { status: number; code: (arg: string) => string }> = {
  BadRequestError: { status: 400, code: (a) => a },
  ForbiddenError: { status: 403, code: (a) => a },
  NotFoundError: { status: 404, code: (a) => `${a}_not_found` },
  ConflictError: { status: 409, code: (a) => a },
};

t.test('every code thrown in src/ is catalogued with its status', async (t) => {
  const found = new Map<string, { status: number; where: string }>();
  const dynamic: string[] = [];
  for (const file of sources(srcDir)) {
    const text = readFileSync(file, 'utf8');
    const where = relative(srcDir, file);
    for (const m of text.matchAll(/new (\w+Error)\(\s*([^,)]*)/g)) {
      const [, cls, arg] = m as unknown as [string, string, string];
      const spec = CLASSES[cls];
      if (!spec) continue;
      const literal = /^'([a-z_]+)'$/.exec(arg.trim());
      if (!literal) dynamic.push(`${where}: new ${cls}(${arg.trim()}`);
      else found.set(spec.code(literal[1]!), { status: spec.status, where });
    }
    // Domain errors (src/errors.ts DomainError) carry a catalogue code; the edge gives it its status.
    for (const m of text.matchAll(/new DomainError\(\s*([^,)]*)/g)) {
      const literal = /^'([a-z_]+)'$/.exec(m[1]!.trim());
      if (!literal) dynamic.push(`${where}: new DomainError(${m[1]!.trim()}`);
      else found.set(literal[1]!, { status: ERROR_CATALOGUE[literal[1] as ErrorCode]?.status ?? 0, where });
    }
    // Subclasses and direct AppErrors: super(404, 'code', …) / new AppError(409, 'code', …).
    for (const m of text.matchAll(/(?:super|new AppError)\(\s*(\d{3}),\s*'([a-z_]+)'/g)) {
      found.set(m[2]!, { status: Number(m[1]), where });
    }
    // Answers written on the raw socket (auth/hardening.ts): rawProblem(408, 'code', …), code typed ErrorCode.
    for (const m of text.matchAll(/rawProblem\(\s*(\d{3}),\s*'([a-z_]+)'/g)) {
      found.set(m[2]!, { status: Number(m[1]), where });
    }
    for (const m of text.matchAll(/new AppError\(\s*([^,]+),\s*([^,]+),/g)) {
      if (!/^\d{3}$/.test(m[1]!.trim()) || !/^'[a-z_]+'$/.test(m[2]!.trim())) {
        // The framework mapping in errors.ts builds its code from the catalogue itself (checked below);
        // rawProblem's parameters are the status and an ErrorCode its callers give as literals (read above).
        const raw = where === 'auth/hardening.ts' && m[1]!.trim() === 'status' && m[2]!.trim() === 'code';
        if (where !== 'errors.ts' && !raw) dynamic.push(`${where}: new AppError(${m[1]}, ${m[2]}`);
      }
    }
  }
  t.ok(found.size >= 25, `${found.size} codes found in the sources`);
  t.same(dynamic, [], 'every code is a literal (a computed one cannot be catalogued)');
  for (const [code, { status, where }] of found) {
    const entry = ERROR_CATALOGUE[code as ErrorCode];
    t.ok(entry, `${code} (${where}) is in ERROR_CATALOGUE`);
    if (entry) t.equal(entry.status, status, `${code}: catalogued as ${status}`);
  }
});

t.test('Fastify and plugin errors map to catalogued codes', async (t) => {
  for (const [fst, code] of Object.entries(FASTIFY_ERROR_CODES)) {
    t.ok(ERROR_CATALOGUE[code], `${fst} → ${code} is catalogued`);
  }
  const cases: [string, number, string][] = [
    ['FST_ERR_CTP_INVALID_JSON_BODY', 400, 'invalid_json'],
    ['FST_ERR_CTP_BODY_TOO_LARGE', 413, 'body_too_large'],
    ['FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, 'unsupported_media_type'],
    ['FST_ERR_MAX_PARAM_LENGTH', 414, 'uri_too_long'],
    ['FST_ERR_SOMETHING_NEW', 400, 'bad_request'],
    ['FST_ERR_SOMETHING_NEW', 418, 'bad_request'],
  ];
  for (const [fst, status, code] of cases) {
    const e = fromFrameworkError({ statusCode: status, code: fst, message: 'm' });
    t.equal(e.code, code, `${fst} (${status}) → ${code}`);
    t.equal(
      ERROR_CATALOGUE[e.code as ErrorCode]?.status,
      e.status,
      `${fst}: answered with the catalogued status`,
    );
  }
});

t.test('the catalogue describes every code', async (t) => {
  for (const [code, entry] of Object.entries(ERROR_CATALOGUE)) {
    t.match(code, /^[a-z][a-z_]*$/, `${code}: snake_case`);
    t.ok(entry.status >= 400 && entry.status < 600, `${code}: an error status`);
    t.ok(entry.meaning.length > 10, `${code}: has a meaning`);
  }
});

t.test(
  "every operation error code the sources set is catalogued, and the document's enum is the catalogue",
  async (t) => {
    const found = new Map<string, string>();
    for (const file of sources(srcDir)) {
      const text = readFileSync(file, 'utf8');
      const where = relative(srcDir, file);
      // Engine errors carry theirs as a field: `readonly code = 'stack_locked'` (errors of other
      // places, such as invalid_config at boot, never reach an operation; a feature's operation
      // hooks, e.g. the drift report's, fail the operation with theirs).
      if (where.startsWith('engine/') || where.endsWith('operation-hooks.ts'))
        for (const m of text.matchAll(/readonly code(?::\s*string)?\s*=\s*'([a-z_]+)'/g))
          found.set(m[1]!, where);
      if (!where.startsWith('operations/')) continue;
      // The queue writes the rest: `code: 'interrupted_by_restart'`, and errorOf(err, 'fallback').
      for (const m of text.matchAll(/\bcode:\s*'([a-z_]+)'/g)) found.set(m[1]!, where);
      for (const m of text.matchAll(/errorOf\(\s*\w+,\s*'([a-z_]+)'/g)) found.set(m[1]!, where);
    }
    // An AppError thrown by the engine's readiness guard fails the operation with its own code.
    found.set('engine_not_ready', 'health/prerequisites.ts');
    t.ok(found.size >= 10, `${found.size} operation codes found in the sources`);
    for (const [code, where] of found)
      t.ok(
        OPERATION_ERROR_CATALOGUE[code as OperationErrorCode],
        `${code} (${where}) is in OPERATION_ERROR_CATALOGUE`,
      );
    for (const [code, meaning] of Object.entries(OPERATION_ERROR_CATALOGUE))
      t.ok(meaning.length > 10, `${code}: has a meaning`);

    const doc = JSON.parse(readFileSync(join(srcDir, '..', 'openapi', 'openapi.json'), 'utf8')) as {
      components: {
        schemas: Record<string, { properties: Record<string, { enum?: string[]; description?: string }> }>;
      };
    };
    const code = doc.components.schemas.OperationError?.properties.code;
    t.same(code?.enum, OPERATION_ERROR_CODES, 'OperationError.code is the catalogue, in order');
    for (const c of OPERATION_ERROR_CODES) t.match(code?.description, `\`${c}\``, `${c} is described`);
  },
);
