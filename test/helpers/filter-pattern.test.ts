import t from 'tap';
import { FilterPatternError, matchesFilterPattern, parseFilterPattern } from './filter-pattern.ts';

const ev = {
  eventName: 'CreateTrail',
  errorCode: 'Client.UnauthorizedOperation',
  userIdentity: {
    type: 'IAMUser',
    invokedBy: null,
    sessionContext: { attributes: { mfaAuthenticated: 'false' } },
  },
  requestParameters: { maxResults: 50, tags: [{ key: 'env' }, { key: 'prod' }] },
  latency: 1500,
  flag: true,
};
const m = (p: string, e: unknown = ev) => matchesFilterPattern(p, e);

t.test('equality with quoted and unquoted values', async (t) => {
  t.ok(m('{ $.eventName = CreateTrail }'));
  t.ok(m('{ $.eventName = "CreateTrail" }'));
  t.notOk(m('{ $.eventName = DeleteTrail }'));
  t.ok(m('{ $.eventName != DeleteTrail }'));
  t.notOk(m('{ $.eventName != "CreateTrail" }'));
  t.notOk(m('{ $.eventName = createtrail }'), 'case sensitive');
});

t.test('wildcards at either end and in the middle', async (t) => {
  t.ok(m('{ $.errorCode = "*UnauthorizedOperation" }'));
  t.ok(m('{ $.errorCode = "Client.*" }'));
  t.ok(m('{ $.errorCode = *Unauthorized* }'));
  t.notOk(m('{ $.errorCode = "AccessDenied*" }'));
  t.notOk(m('{ $.errorCode = "Unauthorized*" }'), 'a leading literal must match at the start');
  t.ok(m('{ $.eventName = "Create.*" }', { eventName: 'Create.X' }), 'dots are literal');
  t.notOk(m('{ $.eventName = "Create.*" }', { eventName: 'CreateX' }), 'dots are literal');
});

t.test('nested selectors and array indexes', async (t) => {
  t.ok(m('{ $.userIdentity.sessionContext.attributes.mfaAuthenticated = "false" }'));
  t.ok(m('{ $.requestParameters.tags[1].key = prod }'));
  t.notOk(m('{ $.requestParameters.tags[2].key = prod }'));
});

t.test('NOT EXISTS and IS NULL are different', async (t) => {
  t.ok(m('{ $.userIdentity.invokedBy IS NULL }'));
  t.notOk(m('{ $.userIdentity.invokedBy NOT EXISTS }'), 'present but null');
  t.ok(m('{ $.userIdentity.userName NOT EXISTS }'));
  t.notOk(m('{ $.userIdentity.userName IS NULL }'));
  t.notOk(m('{ $.eventName NOT EXISTS }'));
});

t.test('a comparison on a missing field is false, != included', async (t) => {
  t.notOk(m('{ $.missing = x }'));
  t.notOk(m('{ $.missing != x }'));
});

t.test('numeric comparisons', async (t) => {
  t.ok(m('{ $.latency > 1000 }'));
  t.ok(m('{ $.latency >= 1500 }'));
  t.notOk(m('{ $.latency < 1500 }'));
  t.ok(m('{ $.latency <= 1500 }'));
  t.ok(m('{ $.latency = 1500 }'));
  t.ok(m('{ $.requestParameters.maxResults != 10 }'));
  t.ok(m('{ $.latency = -1.5 }', { latency: -1.5 }));
});

t.test('numbers in every documented form are compared as numbers', async (t) => {
  t.ok(m('{ $.latency > +1000 }'), 'explicit plus sign');
  t.ok(m('{ $.latency = 1.5e3 }'), 'exponent');
  t.ok(m('{ $.latency < 10e3 }'));
  t.notOk(m('{ $.latency > 10e3 }'));
  t.ok(m('{ $.latency >= 15E2 }'), 'capital E');
  t.ok(m('{ $.ratio = 1e-3 }', { ratio: 0.001 }), 'negative exponent');
  t.ok(m('{ $.ratio < 1e-2 }', { ratio: 0.001 }));
  t.ok(m('{ $.ratio = 0.0010 }', { ratio: 1e-3 }), 'equal numbers in other spellings');
  t.ok(m('{ $.count = 10e3 }', { count: '10000' }), 'a numeric string field compares as a number');
  t.ok(m('{ $.delta = -2.5 }', { delta: -2.5 }));
  t.ok(m('{ $.delta < -1e0 }', { delta: -2.5 }));
  t.notOk(m('{ $.latency = 10e3 }'), '1500 is not 10000');
  t.notOk(m('{ $.eventName > 1e3 }'), 'a non-numeric value is not greater');
  t.throws(
    () => parseFilterPattern('{ $.latency > 1e }'),
    FilterPatternError,
    'a malformed number is not a number',
  );
  t.throws(() => parseFilterPattern('{ $.latency > +-1 }'), FilterPatternError);
});

t.test('%regex% values are regular expressions', async (t) => {
  t.ok(m('{ $.eventName = %^Create% }'), 'anchored at the start');
  t.ok(m('{ $.eventName = %Trail$% }'), 'anchored at the end');
  t.ok(m('{ $.eventName = %eateTr% }'), 'unanchored: matches anywhere');
  t.notOk(m('{ $.eventName = %^Trail% }'));
  t.ok(m('{ $.eventName = %^[CD][a-z]+Trail$% }'), 'character class and repetition');
  t.ok(m('{ $.errorCode = %Unauthorized[A-Za-z]+$% }'), 'character classes');
  t.ok(m('{ $.eventName = %^CreateTrail|DeleteTrail$% }'), 'alternation');
  t.ok(m('{ $.requestParameters.maxResults = %^\\d{2}$% }'), 'numbers are matched as text, \\d works');
  t.ok(m('{ $.eventName != %^Delete% }'), '!= negates');
  t.notOk(m('{ $.eventName != %Trail% }'));
  t.notOk(m('{ $.missing = %.*% }'), 'a missing field never matches');
  t.notOk(m('{ $.missing != %x% }'));
  t.ok(m('{ ($.eventName = %^Create%) && ($.errorCode = %Operation$%) }'), 'two regexes in one pattern');
  for (const bad of [
    '{ $.eventName = %^(Create|Delete)% }',
    '{ $.eventName = %Create Trail% }',
    '{ $.eventName = %Create! }',
    '{ $.eventName = %% }',
    '{ $.eventName > %1% }',
    '{ $.a = %a% || $.b = %b% || $.c = %c% }',
  ])
    t.throws(() => parseFilterPattern(bad), FilterPatternError, bad);
});

t.test('IS TRUE / IS FALSE', async (t) => {
  t.ok(m('{ $.flag IS TRUE }'));
  t.notOk(m('{ $.flag IS FALSE }'));
  t.notOk(m('{ $.latency IS TRUE }'));
});

t.test('&& binds tighter than ||; parentheses override', async (t) => {
  const p =
    '{ ($.eventName = CreateTrail) || ($.errorCode = "*UnauthorizedOperation") && ($.userIdentity.type != "IAMUser") }';
  t.ok(m(p), 'first alternative alone is enough');
  t.notOk(m(p, { ...ev, eventName: 'Other' }), 'second alternative needs both sides');
  t.ok(m(p, { ...ev, eventName: 'Other', userIdentity: { type: 'Root' } }));
  const grouped =
    '{ (($.eventName = CreateTrail) || ($.errorCode = "*UnauthorizedOperation")) && ($.userIdentity.type != "IAMUser") }';
  t.notOk(m(grouped), 'the group is and-ed with the type test');
});

t.test('a JSON log line is parsed before matching', async (t) => {
  t.ok(m('{ $.eventName = CreateTrail }', JSON.stringify(ev)));
});

t.test('malformed patterns are rejected with a position', async (t) => {
  for (const bad of [
    '$.eventName = X',
    '{ $.eventName = X',
    '{ $.eventName = X } extra',
    '{ ($.eventName = X }',
    '{ $.eventName X }',
    '{ eventName = X }',
    '{ $.eventName = "X }',
    '{ $.eventName > abc }',
    '{ $.a IS MAYBE }',
    '{ $.a = X && }',
    '{ $. = X }',
  ]) {
    t.throws(() => parseFilterPattern(bad), FilterPatternError, bad);
  }
});
