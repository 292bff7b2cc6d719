// What the black-box tests need of a web browser: a cookie jar over fetch
// that never follows redirects, and the forms of an HTML page (the login,
// consent and sign-up pages carry a csrf field).
import assert from 'node:assert/strict';

// ---- HTML, as much as the tests need of it. ----

const NAMED = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

export function unescapeHtml(s) {
  return s.replace(/&(#[xX][0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (m, e) => {
    if (e[0] !== '#') return NAMED[e.toLowerCase()] ?? m;
    return String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
  });
}

// The attributes of every <name ...> tag in html, names lower-cased.
export function tags(html, name) {
  const out = [];
  for (const m of html.matchAll(new RegExp(`<${name}\\b((?:[^>"']|"[^"]*"|'[^']*')*)>`, 'gi'))) {
    const attrs = {};
    for (const a of m[1].matchAll(/([^\s=/>]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g))
      attrs[a[1].toLowerCase()] = unescapeHtml(a[2] ?? a[3] ?? a[4] ?? '');
    out.push(attrs);
  }
  return out;
}

// Every <form>: its attributes, its named inputs (name -> value) and its
// submit buttons ({name, value, text}).
export function forms(html) {
  const out = [];
  for (const m of html.matchAll(/<form\b[\s\S]*?<\/form>/gi)) {
    const body = m[0];
    const attrs = tags(body, 'form')[0];
    const fields = {};
    const inputs = tags(body, 'input');
    for (const i of inputs) if (i.name && (i.type ?? 'text') !== 'submit') fields[i.name] = i.value ?? '';
    const buttons = inputs.filter((i) => i.type === 'submit').map((i) => ({ name: i.name, value: i.value, text: i.value }));
    for (const b of body.matchAll(/<button\b((?:[^>"']|"[^"]*"|'[^']*')*)>([\s\S]*?)<\/button>/gi)) {
      const a = tags(`<button${b[1]}>`, 'button')[0];
      buttons.push({ name: a.name, value: a.value, text: unescapeHtml(b[2].replace(/<[^>]*>/g, '')).trim() });
    }
    out.push({ attrs, fields, inputs, buttons });
  }
  return out;
}

// The form of a page as the tests read it: its action and its named fields
// (the form with a csrf field, else the first one).
export function pageForm(html) {
  const all = forms(html);
  const f = all.find((x) => 'csrf' in x.fields) ?? all[0];
  assert.ok(f, `no form in:\n${html}`);
  return { action: f.attrs.action ?? '', fields: f.fields };
}

// The form of a page that carries a csrf field (login, consent).
export function csrfForm(html) {
  const f = forms(html).find((x) => 'csrf' in x.fields);
  assert.ok(f, `no form with a csrf field in:\n${html}`);
  return f;
}

// ---- A browser: a cookie jar over fetch, redirects not followed. ----

export class Browser {
  // base: the one origin this browser talks to (a string, or a function
  // returning it, for a server started later).
  constructor(base) {
    this.base = base;
    this.cookies = new Map();
  }

  origin() { return typeof this.base === 'function' ? this.base() : this.base; }

  store(line) {
    const [pair, ...attrs] = line.split(';');
    const i = pair.indexOf('=');
    const name = pair.slice(0, i).trim();
    const value = pair.slice(i + 1).trim();
    const gone = attrs.some((a) => /^\s*max-age\s*=\s*(0|-\d+)\s*$/i.test(a)) ||
      attrs.some((a) => /^\s*expires\s*=/i.test(a) && Date.parse(a.split('=').slice(1).join('=')) < Date.now()) ||
      value === '';
    if (gone) this.cookies.delete(name);
    else this.cookies.set(name, value);
  }

  // form: fields sent form-urlencoded; json: a value sent as JSON. The
  // answer's json is its body parsed, when it is JSON.
  async request(url, { method = 'GET', form, json, headers = {}, cookies = true } = {}) {
    const u = new URL(url, this.origin());
    assert.equal(u.origin, this.origin(), `the browser only talks to the server here: ${u}`);
    const h = { ...headers };
    if (cookies && this.cookies.size) h.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    let body;
    if (form !== undefined) {
      h['content-type'] = 'application/x-www-form-urlencoded';
      body = typeof form === 'string' ? form : new URLSearchParams(form).toString();
    } else if (json !== undefined) {
      h['content-type'] = 'application/json';
      body = JSON.stringify(json);
    }
    const r = await fetch(u, { method, headers: h, body, redirect: 'manual' });
    const text = await r.text();
    const setCookies = r.headers.getSetCookie();
    for (const c of setCookies) this.store(c);
    let parsed;
    try { parsed = JSON.parse(text); } catch { parsed = undefined; }
    return { status: r.status, headers: r.headers, text, json: parsed, location: r.headers.get('location'), setCookies, url: u.href };
  }

  // Submits the page's csrf form with values added to its hidden fields.
  async submit(page, values, opts = {}) {
    const f = csrfForm(page.text);
    const action = new URL(f.attrs.action ?? '', page.url);
    return this.request(action, { method: 'POST', form: { ...f.fields, ...values }, ...opts });
  }
}
