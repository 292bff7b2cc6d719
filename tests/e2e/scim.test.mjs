// SCIM 2.0 (RFC 7643 / 7644, DESIGN §5) against the real server, driven the
// way Microsoft Entra ID and Okta provisioning drive it: a bearer-token
// application with scope user_sync, the sequences of calls those clients
// make (with their quirks: "False" as a string, filters in PATCH paths,
// path-less replace), every filter operator, paging, projections, groups and
// their members, discovery documents, and every refusal with its status and
// scimType. Each change is checked from the other side, with the CLI.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cli, freshDir, startServer } from './harness.mjs';

const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const SCIM_TYPE = 'application/scim+json';

let srv;
let dir;
let scimApp;
let token; // scope user_sync
let otherToken; // a bearer token without user_sync

function cliOk(args) {
  const r = cli(args, { db: dir.db });
  assert.equal(r.status, 0, `latchkey ${args.join(' ')}: ${r.stderr}`);
  return r.json;
}

// The user as the CLI sees it, or null when there is none.
function userShow(name) {
  const r = cli(['user', 'show', name, '--json'], { db: dir.db });
  return r.status === 0 ? r.json : null;
}

// One SCIM request. Every answer with a body must be SCIM's JSON, uncached.
async function scim(method, path, { body, auth = token, type = SCIM_TYPE } = {}) {
  const headers = {};
  if (auth) headers.authorization = `Bearer ${auth}`;
  if (body !== undefined) headers['content-type'] = type;
  const r = await fetch(`${srv.url}/scim/v2${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await r.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  if (text.length) {
    assert.equal(r.headers.get('content-type'), SCIM_TYPE, `${method} ${path}`);
    assert.ok(json, `${method} ${path}: not JSON: ${text}`);
  }
  assert.equal(r.headers.get('cache-control'), 'no-store', `${method} ${path}`);
  return { status: r.status, headers: r.headers, json, text };
}

// A refusal: the status, the SCIM error message and its scimType.
function refused(r, status, scimType) {
  assert.equal(r.status, status, r.text);
  assert.deepEqual(r.json.schemas, [ERROR]);
  assert.equal(r.json.status, String(status));
  assert.equal(r.json.scimType, scimType, r.text);
  assert.ok(r.json.detail, r.text);
}

const patchOps = (...ops) => ({ schemas: [PATCH_OP], Operations: ops });

async function createUser(user) {
  const r = await scim('POST', '/Users', { body: { schemas: [USER_SCHEMA], ...user } });
  assert.equal(r.status, 201, r.text);
  return r.json;
}

before(async () => {
  dir = freshDir();
  scimApp = cliOk(['app', 'add', '--name', 'scim', '--grant', 'bearer_token', '--scope', 'user_sync', '--json']);
  cliOk(['app', 'add', '--name', 'other', '--grant', 'bearer_token', '--scope', 'api', '--json']);
  token = cliOk(['app', 'token', 'scim', '--json']).access_token;
  otherToken = cliOk(['app', 'token', 'other', '--json']).access_token;
  assert.ok(token && otherToken);
  srv = await startServer({ dir });
});

after(async () => {
  await srv?.stop();
  dir?.remove();
});

test('a token with scope user_sync is required', async () => {
  let r = await scim('GET', '/Users', { auth: null });
  refused(r, 401, undefined);
  assert.match(r.headers.get('www-authenticate'), /^Bearer realm="latchkey"$/);
  r = await scim('GET', '/ServiceProviderConfig', { auth: 'garbage' });
  refused(r, 401, undefined);
  assert.match(r.headers.get('www-authenticate'), /error="invalid_token"/);
  r = await scim('POST', '/Users', { auth: 'lk_at_' + 'A'.repeat(43), body: { userName: 'intruder' } });
  refused(r, 401, undefined);
  r = await scim('GET', '/Users', { auth: otherToken });
  refused(r, 403, undefined);
  assert.match(r.headers.get('www-authenticate'), /error="insufficient_scope".*scope="user_sync"/);
  r = await scim('POST', '/Users', { auth: otherToken, body: { userName: 'intruder' } });
  refused(r, 403, undefined);
  assert.equal(userShow('intruder'), null);
});

test('discovery documents say exactly what is supported', async () => {
  let r = await scim('GET', '/ServiceProviderConfig');
  assert.equal(r.status, 200);
  const spc = r.json;
  assert.deepEqual(spc.schemas, ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig']);
  assert.equal(spc.patch.supported, true);
  assert.deepEqual(spc.filter, { supported: true, maxResults: 200 });
  assert.equal(spc.bulk.supported, false);
  assert.equal(spc.sort.supported, false);
  assert.equal(spc.etag.supported, false);
  assert.equal(spc.authenticationSchemes[0].type, 'oauthbearertoken');
  assert.equal(spc.meta.location, `${srv.url}/scim/v2/ServiceProviderConfig`);

  r = await scim('GET', '/ResourceTypes');
  assert.equal(r.json.totalResults, 2);
  assert.deepEqual(r.json.schemas, [LIST]);
  assert.deepEqual(r.json.Resources.map((t) => t.endpoint).sort(), ['/Groups', '/Users']);
  r = await scim('GET', '/ResourceTypes/User');
  assert.equal(r.json.schema, USER_SCHEMA);
  refused(await scim('GET', '/ResourceTypes/Device'), 404, undefined);

  r = await scim('GET', '/Schemas');
  assert.deepEqual(r.json.Resources.map((s) => s.id).sort(), [GROUP_SCHEMA, USER_SCHEMA]);
  r = await scim('GET', `/Schemas/${USER_SCHEMA}`);
  const attrs = Object.fromEntries(r.json.attributes.map((a) => [a.name, a]));
  assert.deepEqual(Object.keys(attrs).sort(),
    ['active', 'displayName', 'emails', 'groups', 'name', 'password', 'phoneNumbers', 'userName']);
  assert.equal(attrs.userName.mutability, 'immutable');
  assert.equal(attrs.userName.required, true);
  assert.equal(attrs.userName.uniqueness, 'server');
  assert.equal(attrs.password.returned, 'never');
  assert.equal(attrs.groups.mutability, 'readOnly');
  assert.ok(attrs.emails.multiValued);
  r = await scim('GET', `/Schemas/${GROUP_SCHEMA}`);
  assert.deepEqual(r.json.attributes.map((a) => a.name), ['displayName', 'members']);
  refused(await scim('GET', '/Schemas/urn:x:y'), 404, undefined);
  refused(await scim('POST', '/ServiceProviderConfig', { body: {} }), 405, undefined);
  refused(await scim('GET', '/Devices'), 404, undefined);
});

test('an Entra ID provisioning cycle', async () => {
  const upn = 'entra.user@contoso.com';
  let r = await scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${upn}"`)}`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, { schemas: [LIST], totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [] });

  r = await scim('POST', '/Users', {
    body: {
      schemas: [USER_SCHEMA, 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'],
      externalId: 'a1b2c3', userName: upn, active: true, displayName: 'Entra User',
      emails: [{ primary: true, type: 'work', value: 'entra.user@contoso.com' }],
      meta: { resourceType: 'User' }, name: { formatted: 'x', familyName: 'User', givenName: 'Entra' },
      roles: [], title: 'Engineer',
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'R&D' },
    },
  });
  assert.equal(r.status, 201, r.text);
  const u = r.json;
  assert.match(u.id, /^[1-9][0-9]*$/);
  assert.equal(r.headers.get('location'), `${srv.url}/scim/v2/Users/${u.id}`);
  assert.equal(u.meta.location, r.headers.get('location'));
  assert.equal(u.meta.resourceType, 'User');
  assert.equal(u.userName, upn);
  assert.equal(u.externalId, 'a1b2c3');
  assert.deepEqual(u.name, { givenName: 'Entra', familyName: 'User', formatted: 'Entra User' });
  assert.deepEqual(u.emails, [{ value: 'entra.user@contoso.com', type: 'work', primary: true }]);
  assert.equal(u.active, true);
  assert.equal(u.password, undefined);
  assert.equal(u.title, undefined);
  let shown = userShow(upn);
  assert.equal(shown.id, Number(u.id));
  assert.equal(shown.user, `local\\${upn}`);
  assert.equal(shown.given_name, 'Entra');
  assert.equal(shown.enabled, true);

  r = await scim('GET', `/Users/${u.id}`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, u);
  r = await scim('GET', `/Users?filter=${encodeURIComponent('externalId eq "a1b2c3"')}`);
  assert.equal(r.json.totalResults, 1);
  assert.equal(r.json.Resources[0].id, u.id);

  // Disable: "False" as a string, the op name capitalised.
  r = await scim('PATCH', `/Users/${u.id}`, { body: patchOps({ op: 'Replace', path: 'active', value: 'False' }) });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.active, false);
  assert.equal(userShow(upn).enabled, false);

  // An address through a filtered path, the name through a sub-attribute path.
  r = await scim('PATCH', `/Users/${u.id}`, {
    body: patchOps(
      { op: 'Add', path: 'emails[type eq "work"].value', value: 'entra.renamed@contoso.com' },
      { op: 'Replace', path: 'name.givenName', value: 'Entrada' },
      { op: 'Add', path: 'phoneNumbers[type eq "work"].value', value: '+1 555 0100' },
      { op: 'Replace', path: 'active', value: 'True' },
    ),
  });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.emails[0].value, 'entra.renamed@contoso.com');
  assert.deepEqual(r.json.phoneNumbers, [{ value: '+1 555 0100', type: 'work' }]);
  shown = userShow(upn);
  assert.equal(shown.email, 'entra.renamed@contoso.com');
  assert.equal(shown.phone_number, '+1 555 0100');
  assert.equal(shown.given_name, 'Entrada');
  assert.equal(shown.enabled, true);

  // PUT replaces: what is left out is cleared; userName may differ in case only.
  r = await scim('PUT', `/Users/${u.id}`, {
    body: { schemas: [USER_SCHEMA], userName: upn.toUpperCase(), displayName: 'E. User', externalId: 'a1b2c3' },
  });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.displayName, 'E. User');
  assert.equal(r.json.name, undefined);
  assert.equal(r.json.emails, undefined);
  assert.equal(r.json.active, true);
  shown = userShow(upn);
  assert.equal(shown.given_name, '');
  assert.equal(shown.email, null);
  refused(await scim('PUT', `/Users/${u.id}`, { body: { schemas: [USER_SCHEMA], userName: 'someone.else' } }),
    400, 'mutability');
  refused(await scim('PATCH', `/Users/${u.id}`, { body: patchOps({ op: 'Replace', path: 'userName', value: 'x' }) }),
    400, 'mutability');
  refused(await scim('PATCH', `/Users/${u.id}`, { body: patchOps({ op: 'Remove', path: 'userName' }) }),
    400, 'mutability');
  assert.equal(userShow(upn).display_name, 'E. User');

  r = await scim('DELETE', `/Users/${u.id}`);
  assert.equal(r.status, 204);
  assert.equal(r.text, '');
  assert.equal(userShow(upn), null);
  refused(await scim('GET', `/Users/${u.id}`), 404, undefined);
  refused(await scim('DELETE', `/Users/${u.id}`), 404, undefined);
});

test('an Okta provisioning cycle, with passwords', async () => {
  const u = await createUser({
    userName: 'okta.user@example.org', name: { givenName: 'Okta', familyName: 'User' },
    emails: [{ primary: false, value: 'home@example.org', type: 'home' },
      { primary: true, value: 'okta.user@example.org', type: 'work' }],
    displayName: 'Okta User', locale: 'en-US', externalId: '00u1', groups: [], password: 'a long enough passphrase', active: true,
  });
  assert.equal(u.emails[0].value, 'okta.user@example.org'); // the primary one is kept
  const shown = userShow('okta.user@example.org');
  assert.equal(shown.has_password, true);
  assert.equal(shown.email, 'okta.user@example.org');

  let r = await scim('PATCH', `/Users/${u.id}`, { body: patchOps({ op: 'replace', value: { active: false } }) });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.active, false);
  assert.equal(userShow('okta.user@example.org').enabled, false);

  r = await scim('PATCH', `/Users/${u.id}`, {
    body: patchOps({ op: 'replace', value: { password: 'another long passphrase', active: true, id: u.id } }),
  });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.password, undefined);
  assert.equal(r.json.active, true);

  // Each change is audited under the application's client_id, never with a password.
  const audit = cliOk(['audit', '--limit', '100', '--json']);
  const mine = audit.filter((e) => e.actor === `scim:${scimApp.client_id}`);
  assert.ok(mine.some((e) => e.action === 'user.add' && e.object_id === 'local\\okta.user@example.org'));
  assert.ok(mine.some((e) => e.action === 'user.passwd'));
  assert.ok(!JSON.stringify(audit).includes('passphrase'));
  assert.ok(!srv.stderr.includes('passphrase'));

  // A user bound to an application cannot be removed.
  cliOk(['app', 'add', '--name', 'okta-svc', '--grant', 'client_credentials', '--scope', 'api',
    '--user', 'okta.user@example.org', '--json']);
  r = await scim('DELETE', `/Users/${u.id}`);
  refused(r, 409, undefined);
  assert.match(r.json.detail, /okta-svc/);
  assert.ok(userShow('okta.user@example.org'));
  cliOk(['app', 'remove', 'okta-svc']);
  assert.equal((await scim('DELETE', `/Users/${u.id}`)).status, 204);
});

test('administrators are out of reach of user_sync', async () => {
  // serve created the first administrator, `admin`, on the empty database.
  let r = await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "admin"')}`);
  assert.equal(r.json.totalResults, 1);
  const admin = r.json.Resources[0];
  const before = userShow('admin');
  refused(await scim('PATCH', `/Users/${admin.id}`, { body: patchOps({ op: 'replace', value: { password: 'taken over!!' } }) }), 403, undefined);
  refused(await scim('PATCH', `/Users/${admin.id}`, { body: patchOps({ op: 'replace', path: 'active', value: false }) }), 403, undefined);
  refused(await scim('PUT', `/Users/${admin.id}`, { body: { userName: 'admin', active: false } }), 403, undefined);
  refused(await scim('DELETE', `/Users/${admin.id}`), 403, undefined);
  assert.deepEqual(userShow('admin'), before);
  // Group memberships of an administrator may still be managed.
  r = await scim('POST', '/Groups', { body: { displayName: 'admins', members: [{ value: admin.id }] } });
  assert.equal(r.status, 201, r.text);
  assert.equal((await scim('DELETE', `/Groups/${r.json.id}`)).status, 204);
});

test('users in another domain, and a user made without a password', async () => {
  const u = await createUser({ userName: 'CORP\\dana', displayName: 'Dana' });
  assert.equal(u.userName, 'corp\\dana');
  const shown = userShow('corp\\dana');
  assert.equal(shown.domain, 'corp');
  assert.equal(shown.username, 'dana');
  // The password nobody knows: the user signs in upstream until one is set.
  assert.equal(shown.has_password, true);
  const r = await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "corp\\\\dana"')}`);
  assert.equal(r.json.totalResults, 1);
  assert.equal((await scim('DELETE', `/Users/${u.id}`)).status, 204);
});

test('bad input is refused with its scimType and changes nothing', async () => {
  const first = await createUser({ userName: 'unique.user', emails: [{ value: 'unique@example.com' }] });
  refused(await scim('POST', '/Users', { body: { schemas: [USER_SCHEMA], userName: 'UNIQUE.user' } }), 409, 'uniqueness');
  refused(await scim('POST', '/Users', { body: { userName: 'x2', emails: [{ value: 'Unique@example.com' }] } }), 409, 'uniqueness');
  refused(await scim('POST', '/Users', { body: { displayName: 'no name' } }), 400, 'invalidValue');
  refused(await scim('POST', '/Users', { body: { userName: 'bad name!' } }), 400, 'invalidValue');
  refused(await scim('POST', '/Users', { body: { userName: 'x3', active: 'maybe' } }), 400, 'invalidValue');
  refused(await scim('POST', '/Users', { body: { userName: 'x4', emails: 'x@y.z' } }), 400, 'invalidValue');
  refused(await scim('POST', '/Users', { body: { userName: 'x5', emails: [{ value: 'not-an-address' }] } }), 400, 'invalidValue');
  refused(await scim('POST', '/Users', { body: { userName: 'x6', name: 'Six' } }), 400, 'invalidValue');
  refused(await scim('POST', '/Users', { body: { userName: 'x7', password: '' } }), 400, 'invalidValue');
  refused(await scim('POST', '/Users', { body: { schemas: [GROUP_SCHEMA], userName: 'x8' } }), 400, 'invalidSyntax');
  refused(await scim('POST', '/Users', { body: '{"userName": "x9", "userName": "x10"}' }), 400, 'invalidSyntax');
  refused(await scim('POST', '/Users', { body: '{"userName": ' }), 400, 'invalidSyntax');
  refused(await scim('POST', '/Users', { body: '[]' }), 400, 'invalidSyntax');
  refused(await scim('POST', '/Users', { body: 'userName=x', type: 'application/x-www-form-urlencoded' }), 415, undefined);
  for (const f of ['userName eq', 'userName xx "a"', '(userName eq "a"', 'userName eq "a', 'active gt true', '']) {
    refused(await scim('GET', `/Users?filter=${encodeURIComponent(f)}`), 400, 'invalidFilter');
  }
  refused(await scim('GET', '/Users?count=ten'), 400, 'invalidValue');
  refused(await scim('GET', '/Users?attributes=a%20b'), 400, 'invalidValue');
  refused(await scim('GET', '/Users/abc'), 404, undefined);
  refused(await scim('GET', '/Users/999999'), 404, undefined);
  refused(await scim('PUT', '/Users/999999', { body: { userName: 'ghost' } }), 404, undefined);
  refused(await scim('PATCH', `/Users/${first.id}`, { body: { Operations: [] } }), 400, 'invalidSyntax');
  refused(await scim('PATCH', `/Users/${first.id}`, { body: patchOps({ op: 'Remove' }) }), 400, 'noTarget');
  refused(await scim('PATCH', `/Users/${first.id}`, { body: patchOps({ op: 'Remove', path: 'emails[type eq "home"]' }) }), 400, 'noTarget');
  refused(await scim('PATCH', `/Users/${first.id}`, { body: patchOps({ op: 'Add', path: 'emails[type', value: 'x' }) }), 400, 'invalidPath');
  refused(await scim('PATCH', `/Users/${first.id}`, { body: patchOps({ op: 'Replace', path: 'id', value: '1' }) }), 400, 'mutability');
  refused(await scim('PATCH', `/Users/${first.id}`, { body: patchOps({ op: 'Copy', path: 'id' }) }), 400, 'invalidSyntax');
  // A valid operation before a bad one: the whole PATCH is refused.
  refused(await scim('PATCH', `/Users/${first.id}`, {
    body: patchOps({ op: 'Replace', path: 'displayName', value: 'changed' }, { op: 'Replace', path: 'meta', value: {} }),
  }), 400, 'mutability');
  refused(await scim('PATCH', `/Users/${first.id}`, {
    body: patchOps({ op: 'Replace', path: 'displayName', value: 'changed' }, { op: 'Replace', path: 'emails', value: [{ value: 'bad' }] }),
  }), 400, 'invalidValue');
  refused(await scim('PATCH', '/Users', { body: patchOps({ op: 'Remove', path: 'x' }) }), 405, undefined);
  refused(await scim('POST', `/Users/${first.id}`, { body: {} }), 405, undefined);
  const shown = userShow('unique.user');
  assert.equal(shown.display_name, '');
  assert.equal(shown.email, 'unique@example.com');
  for (const n of ['x2', 'x3', 'x4', 'x5', 'x6', 'x7', 'x8', 'x9', 'x10', 'bad name!', 'ghost']) assert.equal(userShow(n), null, n);
  assert.equal((await scim('DELETE', `/Users/${first.id}`)).status, 204);
});

test('filters: every operator, logic and value paths', async () => {
  const ann = await createUser({ userName: 'flt-ann', externalId: 'flt-1', displayName: 'Ann Archer',
    name: { givenName: 'Ann', familyName: 'Archer' }, emails: [{ value: 'ann@example.com', type: 'work', primary: true }] });
  const ben = await createUser({ userName: 'flt-ben', externalId: 'flt-2', displayName: 'Ben Baker', active: false,
    emails: [{ value: 'ben@sample.org' }], phoneNumbers: [{ value: '+44 20 7946 0000', type: 'work' }] });
  const cat = await createUser({ userName: 'corp\\flt-cat', externalId: 'flt-3', displayName: 'Cat Carter',
    emails: [{ value: 'cat@example.com' }] });
  const ids = { [ann.id]: 'ann', [ben.id]: 'ben', [cat.id]: 'cat' };
  const names = async (filter) => {
    const r = await scim('GET', `/Users?filter=${encodeURIComponent(`(${filter}) and externalId sw "flt-"`)}`);
    assert.equal(r.status, 200, `${filter}: ${r.text}`);
    assert.equal(r.json.totalResults, r.json.Resources.length);
    return r.json.Resources.map((u) => ids[u.id]).sort();
  };
  const cases = [
    ['userName eq "flt-ann"', ['ann']],
    ['USERNAME EQ "FLT-ANN"', ['ann']],
    ['userName eq "corp\\\\flt-cat"', ['cat']],
    ['userName ne "flt-ann"', ['ben', 'cat']],
    ['displayName co "ar"', ['ann', 'cat']],
    ['displayName sw "ben"', ['ben']],
    ['displayName ew "CARTER"', ['cat']],
    ['name.familyName pr', ['ann']],
    ['phoneNumbers pr', ['ben']],
    ['externalId eq "FLT-1"', []],
    ['externalId gt "flt-1"', ['ben', 'cat']],
    ['externalId ge "flt-2"', ['ben', 'cat']],
    ['externalId lt "flt-2"', ['ann']],
    ['externalId le "flt-2"', ['ann', 'ben']],
    ['active eq false', ['ben']],
    ['not (active eq true)', ['ben']],
    ['emails.value eq "cat@example.com"', ['cat']],
    ['emails co "sample"', ['ben']],
    ['emails[type eq "work"].value ew "example.com"', ['ann', 'cat']],
    ['emails[type eq "work" and value sw "ben"]', ['ben']],
    ['(userName eq "flt-ann" or userName eq "flt-ben") and active eq true', ['ann']],
    ['userName eq "flt-ann" or userName eq "flt-ben" and active eq true', ['ann']],
    ['userName eq "flt-ben" or not (displayName co "a")', ['ben']],
    [`id eq "${ann.id}" or id eq "${cat.id}"`, ['ann', 'cat']],
    ['meta.created pr and meta.lastModified gt "2000-01-01T00:00:00Z"', ['ann', 'ben', 'cat']],
    ['meta.resourceType eq "Group"', []],
  ];
  for (const [f, want] of cases) assert.deepEqual(await names(f), want, f);

  // Paging: users come ordered by domain, then name.
  const q = `filter=${encodeURIComponent('externalId sw "flt-"')}`;
  let r = await scim('GET', `/Users?${q}&startIndex=2&count=1`);
  assert.equal(r.json.totalResults, 3);
  assert.equal(r.json.startIndex, 2);
  assert.equal(r.json.itemsPerPage, 1);
  assert.equal(r.json.Resources[0].id, ann.id);
  r = await scim('GET', `/Users?${q}&startIndex=0&count=2`);
  assert.equal(r.json.startIndex, 1);
  assert.deepEqual(r.json.Resources.map((u) => u.id), [cat.id, ann.id]);
  r = await scim('GET', `/Users?${q}&count=0`);
  assert.equal(r.json.totalResults, 3);
  assert.deepEqual(r.json.Resources, []);
  r = await scim('GET', `/Users?${q}&startIndex=4`);
  assert.equal(r.json.totalResults, 3);
  assert.equal(r.json.itemsPerPage, 0);

  // Projections: id and schemas always come back.
  r = await scim('GET', `/Users?${q}&attributes=userName,name.givenName`);
  for (const u of r.json.Resources) {
    assert.deepEqual(Object.keys(u).filter((k) => !['name'].includes(k)).sort(), ['id', 'schemas', 'userName']);
  }
  assert.deepEqual(r.json.Resources.find((u) => u.id === ann.id).name, { givenName: 'Ann' });
  r = await scim('GET', `/Users/${ben.id}?excludedAttributes=emails,meta,id`);
  assert.equal(r.json.emails, undefined);
  assert.equal(r.json.meta, undefined);
  assert.equal(r.json.id, ben.id);
  assert.equal(r.json.userName, 'flt-ben');

  for (const u of [ann, ben, cat]) assert.equal((await scim('DELETE', `/Users/${u.id}`)).status, 204);
});

test('groups and their members', async () => {
  const a = await createUser({ userName: 'grp-a' });
  const b = await createUser({ userName: 'grp-b' });
  let r = await scim('POST', '/Groups', {
    body: { schemas: [GROUP_SCHEMA], displayName: 'Engineering', externalId: 'g-1', members: [{ value: a.id }] },
  });
  assert.equal(r.status, 201, r.text);
  const g = r.json;
  assert.equal(r.headers.get('location'), `${srv.url}/scim/v2/Groups/${g.id}`);
  assert.equal(g.displayName, 'Engineering');
  assert.equal(g.externalId, 'g-1');
  assert.equal(g.members.length, 1);
  assert.equal(g.members[0].value, a.id);
  assert.equal(g.members[0].display, 'grp-a');
  assert.equal(g.members[0].$ref, `${srv.url}/scim/v2/Users/${a.id}`);
  r = await scim('GET', `/Users/${a.id}`);
  assert.deepEqual(r.json.groups.map((x) => [x.value, x.display]), [[g.id, 'Engineering']]);

  refused(await scim('POST', '/Groups', { body: { displayName: 'ENGINEERING' } }), 409, 'uniqueness');
  refused(await scim('POST', '/Groups', { body: { displayName: 'Ghosts', members: [{ value: '999999' }] } }), 400, 'invalidValue');
  refused(await scim('POST', '/Groups', { body: { displayName: 'Ghosts', members: [{ value: 'abc' }] } }), 400, 'invalidValue');
  refused(await scim('POST', '/Groups', { body: { members: [] } }), 400, 'invalidValue');

  // Entra ID's member operations.
  r = await scim('PATCH', `/Groups/${g.id}`, { body: patchOps({ op: 'Add', path: 'members', value: [{ value: b.id }] }) });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.members.map((m) => m.value).sort(), [a.id, b.id].sort());
  r = await scim('PATCH', `/Groups/${g.id}`, { body: patchOps({ op: 'Remove', path: `members[value eq "${a.id}"]` }) });
  assert.deepEqual(r.json.members.map((m) => m.value), [b.id]);
  r = await scim('GET', `/Users/${a.id}`);
  assert.equal(r.json.groups, undefined);
  r = await scim('PATCH', `/Groups/${g.id}`, { body: patchOps({ op: 'Remove', path: 'members', value: [{ value: b.id }] }) });
  assert.deepEqual(r.json.members, []);
  refused(await scim('PATCH', `/Groups/${g.id}`, { body: patchOps({ op: 'Remove', path: 'members[value eq "1"]' }) }), 400, 'noTarget');
  refused(await scim('PATCH', `/Groups/${g.id}`, { body: patchOps({ op: 'Add', path: 'members', value: [{ value: '999999' }] }) }), 400, 'invalidValue');
  // Okta: a path-less replace naming the group's attributes.
  r = await scim('PATCH', `/Groups/${g.id}`, {
    body: patchOps({ op: 'replace', value: { id: g.id, displayName: 'Platform' } },
      { op: 'add', path: 'members', value: [{ value: a.id }, { value: b.id }] }),
  });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.displayName, 'Platform');
  assert.equal(r.json.members.length, 2);

  r = await scim('GET', `/Groups?filter=${encodeURIComponent(`members.value eq "${b.id}"`)}&excludedAttributes=members`);
  assert.equal(r.json.totalResults, 1);
  assert.equal(r.json.Resources[0].displayName, 'Platform');
  assert.equal(r.json.Resources[0].members, undefined);
  r = await scim('GET', `/Groups?filter=${encodeURIComponent('displayName eq "platform" and externalId eq "g-1"')}`);
  assert.equal(r.json.totalResults, 1);
  r = await scim('GET', `/Groups?filter=${encodeURIComponent('displayName eq "Engineering"')}`);
  assert.equal(r.json.totalResults, 0);

  r = await scim('PUT', `/Groups/${g.id}`, { body: { schemas: [GROUP_SCHEMA], displayName: 'Platform', members: [{ value: a.id }] } });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.members.map((m) => m.value), [a.id]);
  assert.equal(r.json.externalId, undefined);
  refused(await scim('PATCH', `/Groups/${g.id}`, { body: patchOps({ op: 'Remove', path: 'displayName' }) }), 400, 'mutability');

  // Removing a user removes its memberships.
  assert.equal((await scim('DELETE', `/Users/${a.id}`)).status, 204);
  r = await scim('GET', `/Groups/${g.id}`);
  assert.deepEqual(r.json.members, []);
  assert.equal((await scim('DELETE', `/Groups/${g.id}`)).status, 204);
  refused(await scim('GET', `/Groups/${g.id}`), 404, undefined);
  refused(await scim('DELETE', `/Groups/${g.id}`), 404, undefined);
  assert.equal((await scim('DELETE', `/Users/${b.id}`)).status, 204);
});

test('a provisioned user signs in, and active=false ends their grants', async () => {
  const app = cliOk(['app', 'add', '--name', 'pw-portal', '--grant', 'password', '--scope', 'api offline_access', '--json']);
  const intro = cliOk(['app', 'add', '--name', 'pw-rs', '--grant', 'client_credentials', '--scope', 'api', '--json']);
  const u = await createUser({
    userName: 'signin.user@example.org', emails: [{ primary: true, value: 'elsewhere@example.org', type: 'work' }],
    password: 'provisioned passphrase 1', active: true,
  });
  const basic = (a) => `Basic ${Buffer.from(`${a.client_id}:${a.client_secret}`).toString('base64')}`;
  const post = async (path, a, form) => {
    const r = await fetch(`${srv.url}${path}`, {
      method: 'POST',
      headers: { authorization: basic(a), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form),
    });
    return { status: r.status, json: await r.json() };
  };
  // The running server learns of the new applications within seconds.
  for (let i = 0; i < 50; i++) {
    const r = await post('/oauth2/token', app, { grant_type: 'client_credentials' });
    if (r.json.error !== 'invalid_client') break;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  // The userName and the email both sign in.
  for (const username of ['signin.user@example.org', 'elsewhere@example.org']) {
    const r = await post('/oauth2/token', app, { grant_type: 'password', username, password: 'provisioned passphrase 1' });
    assert.equal(r.status, 200, JSON.stringify(r.json));
  }
  const t = await post('/oauth2/token', app, { grant_type: 'password', username: 'signin.user@example.org', password: 'provisioned passphrase 1', scope: 'api offline_access' });
  assert.ok(t.json.refresh_token);
  assert.equal((await post('/oauth2/introspect', intro, { token: t.json.access_token })).json.active, true);

  const r = await scim('PATCH', `/Users/${u.id}`, { body: patchOps({ op: 'replace', path: 'active', value: 'False' }) });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual((await post('/oauth2/introspect', intro, { token: t.json.access_token })).json, { active: false });
  const refresh = await post('/oauth2/token', app, { grant_type: 'refresh_token', refresh_token: t.json.refresh_token });
  assert.equal(refresh.status, 400);
  assert.equal(refresh.json.error, 'invalid_grant');
  const again = await post('/oauth2/token', app, { grant_type: 'password', username: 'signin.user@example.org', password: 'provisioned passphrase 1' });
  assert.equal(again.json.error, 'invalid_grant');
  // Active again: a new sign-in works, the revoked refresh token stays dead.
  await scim('PATCH', `/Users/${u.id}`, { body: patchOps({ op: 'replace', path: 'active', value: true }) });
  const back = await post('/oauth2/token', app, { grant_type: 'password', username: 'signin.user@example.org', password: 'provisioned passphrase 1' });
  assert.equal(back.status, 200, JSON.stringify(back.json));
  assert.equal((await post('/oauth2/token', app, { grant_type: 'refresh_token', refresh_token: t.json.refresh_token })).status, 400);
});
