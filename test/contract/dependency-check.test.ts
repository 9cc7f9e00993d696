// The folder-cycle part of the dependency check (scripts/check-deps.ts): what counts as a folder, and
// that a cycle through several folders is found with the imports that make it.
import t from 'tap';
import { folderCycles, folderOf } from '../../scripts/check-deps.ts';

t.test("src's own files are nodes by themselves; everything else is its folder", async (t) => {
  t.equal(folderOf('src/app.ts'), 'src/app.ts');
  t.equal(folderOf('src/errors.ts'), 'src/errors.ts');
  t.equal(folderOf('src/accounts/service.ts'), 'src/accounts');
  t.equal(folderOf('src/accounts/store/account-store.ts'), 'src/accounts/store', 'a subfolder is a node');
  t.equal(folderOf('stacks/alarms/catalog.ts'), 'stacks/alarms');
});

t.test('a cycle through three folders is reported once, with its imports; a chain is not', async (t) => {
  const edges = new Map([
    ['src/a', new Map([['src/b', 'src/a/x.ts -> src/b/y.ts']])],
    ['src/b', new Map([['src/c', 'src/b/y.ts -> src/c/z.ts']])],
    ['src/c', new Map([['src/a', 'src/c/z.ts -> src/a/w.ts']])],
    ['src/app.ts', new Map([['src/a', 'src/app.ts -> src/a/x.ts']])],
    ['src/d', new Map([['src/errors.ts', 'src/d/q.ts -> src/errors.ts']])],
  ]);
  t.same(folderCycles(edges), [
    {
      folders: ['src/a', 'src/b', 'src/c'],
      via: ['src/a/x.ts -> src/b/y.ts', 'src/b/y.ts -> src/c/z.ts', 'src/c/z.ts -> src/a/w.ts'],
    },
  ]);
});
