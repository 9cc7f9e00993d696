// What counts as no value in a refresh. The AWS provider is bridged from Terraform, whose plugin SDK
// reads an unset string as "": so "" is absent, for the diff, the kind of change and the severity table.
import t from 'tap';
import { deepDiff, isAbsent } from '../../src/drift/property-diff.ts';
import { classify, T } from '../../src/drift/severity.ts';

t.test('"" is absent, like null and undefined; 0 and false are values', async (t) => {
  for (const v of [undefined, null, '']) t.ok(isAbsent(v), `${JSON.stringify(v)} is absent`);
  for (const v of [0, false, ' ', [], {}]) t.notOk(isAbsent(v), `${JSON.stringify(v)} is a value`);
});

t.test('"" against null or a missing key is no drift; a value that became "" is', async (t) => {
  t.same(deepDiff({ kmsKeyId: '' }, {}), [], 'recorded "", read back without the key');
  t.same(deepDiff({ kmsKeyId: '' }, { kmsKeyId: null }), [], 'recorded "", read back null');
  t.same(deepDiff({ snsTopicName: null }, { snsTopicName: '' }), [], 'recorded null, read back ""');
  t.same(deepDiff({ kmsKeyId: 'arn:aws:kms:us-east-1:111111111111:key/k' }, { kmsKeyId: '' }), [
    { path: 'kmsKeyId', expected: 'arn:aws:kms:us-east-1:111111111111:key/k', actual: '' },
  ]);
});

t.test('the severity table reads "" as absent: losing a value is a loss, gaining one is not', async (t) => {
  const key = 'arn:aws:kms:us-east-1:111111111111:key/k';
  const lost = classify({
    type: T.trail,
    operation: 'modified',
    path: 'kmsKeyId',
    expected: key,
    actual: '',
  });
  const gained = classify({
    type: T.trail,
    operation: 'modified',
    path: 'kmsKeyId',
    expected: '',
    actual: key,
  });
  t.equal(lost.severity, 'critical', 'the trail lost its KMS key');
  t.not(gained.severity, 'critical', 'a key where none was recorded blinds nothing');
});
