// The dependency check of `npm test` (`npm run deps`): dependency-cruiser's module rules
// (.dependency-cruiser.cjs: module cycles, src reaching into stacks internals, unresolvable imports) and
// cycles between folders on the same import graph (type-only imports included). Exits 1 on any violation.
//
// A node of the folder graph is a folder (a subfolder is a node of its own: src/accounts/store sits
// below both accounts and operations); src/'s own files are nodes by themselves, because the composition root (app.ts, main.ts) imports every feature and every feature
// imports the shared kernel (errors.ts, config.ts, schema-bounds.ts): lumped together they would make a
// false cycle of everything.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface Cruised {
  modules: { source: string; dependencies: { resolved: string; couldNotResolve: boolean }[] }[];
  summary: {
    violations: { from: string; to: string; rule: { name: string; severity: string } }[];
    totalCruised: number;
  };
}

const ROOTS = ['src', 'stacks'];

/** The node a module belongs to in the folder graph. */
export function folderOf(file: string): string {
  const dir = path.posix.dirname(file);
  return dir === 'src' ? file : dir;
}

/** Strongly connected components with more than one folder (Tarjan), each with the edges inside it. */
export function folderCycles(
  edges: Map<string, Map<string, string>>,
): { folders: string[]; via: string[] }[] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: { folders: string[]; via: string[] }[] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v)?.keys() ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) {
        const inside = new Set(scc);
        const via: string[] = [];
        for (const from of scc)
          for (const [to, example] of edges.get(from) ?? []) if (inside.has(to)) via.push(example);
        out.push({ folders: scc.sort(), via: via.sort() });
      }
    }
  };
  for (const v of [...edges.keys()].sort()) if (!idx.has(v)) visit(v);
  return out;
}

function cruise(): Cruised {
  // The package exports no package.json: its entry is src/main/index.mjs, the CLI is bin/ beside src/.
  const main = fileURLToPath(import.meta.resolve('dependency-cruiser'));
  const bin = path.join(main, '..', '..', '..', 'bin', 'dependency-cruiser.mjs');
  // dependency-cruiser exits non-zero on violations; the JSON on stdout is what we read either way.
  let stdout: string;
  try {
    stdout = execFileSync(
      process.execPath,
      [bin, ...ROOTS, '--config', '.dependency-cruiser.cjs', '--output-type', 'json'],
      { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    );
  } catch (err) {
    stdout = (err as { stdout?: string }).stdout ?? '';
    if (!stdout) throw err;
  }
  return JSON.parse(stdout) as Cruised;
}

if (import.meta.main) {
  const result = cruise();
  const edges = new Map<string, Map<string, string>>();
  for (const m of result.modules) {
    if (!ROOTS.some((r) => m.source.startsWith(`${r}/`))) continue;
    const from = folderOf(m.source);
    for (const d of m.dependencies) {
      if (d.couldNotResolve || !ROOTS.some((r) => d.resolved.startsWith(`${r}/`))) continue;
      const to = folderOf(d.resolved);
      if (to === from) continue;
      const out = edges.get(from) ?? new Map<string, string>();
      if (!out.has(to)) out.set(to, `${m.source} -> ${d.resolved}`);
      edges.set(from, out);
    }
  }
  const violations = result.summary.violations.filter((v) => v.rule.severity === 'error');
  for (const v of violations) console.log(`${v.rule.name}: ${v.from} -> ${v.to}`);
  const cycles = folderCycles(edges);
  for (const c of cycles) {
    console.log(`no-folder-cycle: ${c.folders.join(', ')} import each other:`);
    for (const e of c.via) console.log(`  ${e}`);
  }
  const problems = violations.length + cycles.length;
  console.log(
    `dependency check: ${result.summary.totalCruised} modules, ${violations.length} rule violations, ${cycles.length} folder cycles`,
  );
  process.exit(problems === 0 ? 0 : 1);
}
