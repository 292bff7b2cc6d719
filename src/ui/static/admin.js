/*
 * The latchkey administration console (DESIGN §6): one page, no build step,
 * no framework. Every view is drawn from the admin JSON API under
 * /admin/api/ with DOM calls only; data always goes in as text
 * (textContent, attribute values), never as markup, so that an application
 * or user name cannot turn into HTML. Navigation is by location hash
 * (#/apps, #/apps/new, #/apps/CLIENT_ID, #/users, #/scopes, #/keys,
 * #/audit) so that the server serves a single document.
 *
 * The page runs under a strict Content-Security-Policy: no inline script,
 * no style attributes. Elements are shown and hidden with the `hidden`
 * property and styled only through classes of admin.css.
 */
'use strict';

(() => {
	const API = '/admin/api';
	const PAGE_SIZE = 50;
	const SUGGESTIONS = 10;
	// Certificates are a few kilobytes; this bounds what the browser reads.
	const CERT_MAX_BYTES = 64 * 1024;
	const SIGNING_ALGS = ['ES256', 'RS256', 'PS256'];
	const ID_TOKEN_ALGS = ['RS256', 'PS256', 'ES256'];

	const GRANTS = {
		authorization_code: {
			label: 'Authorization code',
			hint: 'Web and mobile applications that sign people in: the browser comes back with a code that the application exchanges for tokens.',
		},
		client_credentials: {
			label: 'Client credentials',
			hint: 'Server-to-server integration: the application gets tokens with its own keys, acting as itself or as a bound user.',
		},
		client_certificate: {
			label: 'Client certificate',
			hint: 'The application proves who it is with a JWT signed by the private key of an uploaded certificate. It has no client secret.',
		},
		bearer_token: {
			label: 'Bearer token',
			hint: 'The application posts its keys and receives a long-lived token, as provisioning (SCIM) connectors expect.',
		},
		password: {
			label: 'Password',
			hint: 'Trusted first-party applications that collect the user\u2019s password themselves (resource owner password grant).',
		},
		all: {
			label: 'All',
			hint: 'Authorization code, client credentials and bearer token in one application.',
		},
	};

	const STRATEGIES = {
		web: {
			label: 'Web application',
			hint: 'The browser is sent to an HTTPS redirect URI that matches a registered one exactly.',
		},
		'mobile-title': {
			label: 'Mobile title bar browser',
			hint: 'No redirect: the result page\u2019s title carries the code, for apps that read the title of an embedded browser. No redirect URI is registered.',
		},
		'mobile-localhost': {
			label: 'Mobile localhost port',
			hint: 'A loopback redirect URI (http://127.0.0.1, http://[::1] or https://localhost); any port is accepted at request time.',
		},
	};

	// Which options apply to which grant type (DESIGN §1).
	const HAS_CODE = ['authorization_code', 'all'];
	const BINDS_USER = ['client_credentials', 'client_certificate', 'all'];
	const SIGNS_IN = ['authorization_code', 'all', 'password'];

	const state = {
		session: null,
		csrf: null,
		grantTypes: Object.keys(GRANTS),
		renderSeq: 0,
		firstRender: true,
	};

	let idSeq = 0;
	const uid = (p) => `lk-${p}-${++idSeq}`;

	/* DOM building ------------------------------------------------------ */

	// Appends children: nodes as they are, anything else as a text node.
	function add(el, kids) {
		for (const k of kids.flat(Infinity)) {
			if (k === null || k === undefined || k === false)
				continue;
			el.append(k instanceof Node ? k : String(k));
		}
		return el;
	}

	/*
	 * Creates an element. props: `class`, `text` (textContent), `on<event>`
	 * handlers, boolean properties (hidden, disabled, checked, required, ...),
	 * `value`, and anything else as an attribute. Values are never parsed as
	 * markup.
	 */
	function h(tag, props, ...kids) {
		const el = document.createElement(tag);
		for (const [k, v] of Object.entries(props ?? {})) {
			if (v === undefined || v === null || v === false)
				continue;
			if (k === 'class')
				el.className = v;
			else if (k === 'text')
				el.textContent = v;
			else if (k.startsWith('on') && typeof v === 'function')
				el.addEventListener(k.slice(2), v);
			else if (k === 'value')
				el.value = v;
			else if (typeof v === 'boolean' && typeof el[k] === 'boolean')
				el[k] = v;
			else
				el.setAttribute(k, v === true ? '' : String(v));
		}
		return add(el, kids);
	}

	const main = () => document.getElementById('lk-main');

	function button(label, onclick, { kind = '', type = 'button', ...rest } = {}) {
		return h('button', { class: `lk-btn ${kind}`.trim(), type, onclick, ...rest }, label);
	}

	function linkButton(href, label, kind = '') {
		return h('a', { class: `lk-btn ${kind}`.trim(), href }, label);
	}

	function badge(on, yes = 'Enabled', no = 'Disabled') {
		return h('span', { class: `lk-badge ${on ? 'lk-badge-on' : 'lk-badge-off'}` }, on ? yes : no);
	}

	function tag(text, kind = '') {
		return h('span', { class: `lk-tag ${kind}`.trim() }, text);
	}

	function code(text) {
		return h('code', { class: 'lk-code' }, text);
	}

	function muted(text) {
		return h('span', { class: 'lk-muted' }, text);
	}

	// An empty alert next to a form; filled when the API refuses.
	function alertBox() {
		return h('div', { class: 'lk-alert lk-alert-error', role: 'alert', hidden: true });
	}

	function showError(box, err) {
		box.textContent = err instanceof ApiError || err instanceof Error ? err.message : String(err);
		box.hidden = false;
	}

	function clearError(box) {
		box.textContent = '';
		box.hidden = true;
	}

	let toastTimer = 0;

	// Says something to screen readers and shows it briefly.
	function announce(text) {
		const live = document.getElementById('lk-live');
		if (!live)
			return;
		live.textContent = '';
		live.classList.remove('lk-toast-shown');
		// A new text node in a later task is announced even when it repeats.
		window.setTimeout(() => {
			live.textContent = text;
			live.classList.add('lk-toast-shown');
		}, 30);
		window.clearTimeout(toastTimer);
		toastTimer = window.setTimeout(() => live.classList.remove('lk-toast-shown'), 4000);
	}

	/* Formatting --------------------------------------------------------- */

	// A time of the API (ISO 8601, UTC) in the reader's own time zone.
	function when(iso, timeStyle = 'short') {
		if (!iso)
			return muted('\u2014');
		const d = new Date(iso);
		if (Number.isNaN(d.getTime()))
			return String(iso);
		const text = d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle });
		return h('time', { datetime: iso, title: iso }, text);
	}

	function lifetimeText(v) {
		if (v === 'never')
			return 'Never expires';
		if (v === 'default' || v === null || v === undefined)
			return 'Server default';
		return `${v} minute${Number(v) === 1 ? '' : 's'}`;
	}

	const grantLabel = (g) => GRANTS[g]?.label ?? g;
	const strategyLabel = (s) => STRATEGIES[s]?.label ?? s;
	const hasSecret = (app) => app.client_type === 'confidential' && app.grant_type !== 'client_certificate';

	// Only absolute http(s) URLs become links: never javascript: or data:.
	function safeLink(url) {
		if (typeof url === 'string' && /^https?:\/\//i.test(url))
			return h('a', { href: url, rel: 'noopener noreferrer', target: '_blank' }, url);
		return url ? String(url) : muted('\u2014');
	}

	function qs(params) {
		const p = new URLSearchParams();
		for (const [k, v] of Object.entries(params)) {
			if (v !== undefined && v !== null && v !== '')
				p.set(k, String(v));
		}
		const s = p.toString();
		return s ? `?${s}` : '';
	}

	function nat(v, dflt = 0) {
		const n = Number.parseInt(v ?? '', 10);
		return Number.isFinite(n) && n >= 0 ? n : dflt;
	}

	/* The API ------------------------------------------------------------ */

	class ApiError extends Error {
		constructor(status, code, message) {
			super(message);
			this.status = status;
			this.code = code;
		}
	}

	const GENERIC = {
		invalid_token: 'Your session has ended. Sign in again to continue.',
		forbidden: 'Only an enabled administrator may do this.',
		invalid_csrf_token: 'The page is out of date. Reload it and try again.',
		not_found: 'It does not exist (any more).',
		conflict: 'This conflicts with the current state.',
		method_not_allowed: 'This operation is not possible here.',
		server_error: 'latchkey met an internal error. Try again later.',
		temporarily_unavailable: 'latchkey is temporarily unavailable. Try again in a moment.',
	};

	async function send(method, path, body) {
		const headers = { Accept: 'application/json' };
		const init = { method, headers, credentials: 'same-origin', cache: 'no-store', redirect: 'error' };
		if (method !== 'GET' && method !== 'HEAD') {
			headers['X-CSRF-Token'] = state.csrf ?? '';
			headers['Content-Type'] = 'application/json';
			if (body !== undefined || method !== 'DELETE')
				init.body = JSON.stringify(body ?? {});
		}
		let res;
		try {
			res = await fetch(API + path, init);
		} catch {
			throw new ApiError(0, 'network', 'latchkey could not be reached. Check the connection and try again.');
		}
		const text = res.status === 204 ? '' : await res.text();
		let data = null;
		if (text) {
			try {
				data = JSON.parse(text);
			} catch {
				data = null;
			}
		}
		if (!res.ok) {
			const err = data && typeof data === 'object' ? data : {};
			const codeName = typeof err.error === 'string' ? err.error : `http_${res.status}`;
			let msg = typeof err.error_description === 'string' && err.error_description ? err.error_description : GENERIC[codeName];
			if (!msg)
				msg = res.status === 413 ? 'The request is too large.' : `The request failed (HTTP ${res.status}).`;
			throw new ApiError(res.status, codeName, msg);
		}
		return data;
	}

	/*
	 * One API call. A refused CSRF token means the session's token changed
	 * (for example after signing in again in another tab): the session is
	 * read again and the call repeated once. A 401 means the session ended.
	 */
	async function api(method, path, body) {
		try {
			return await send(method, path, body);
		} catch (e) {
			if (e.status === 403 && e.code === 'invalid_csrf_token') {
				await loadSession();
				return send(method, path, body);
			}
			if (e.status === 401)
				sessionEnded();
			throw e;
		}
	}

	async function loadSession() {
		const s = await send('GET', '/session');
		state.session = s;
		state.csrf = s.csrf_token ?? null;
		if (Array.isArray(s.grant_types) && s.grant_types.length)
			state.grantTypes = s.grant_types;
		return s;
	}

	function sessionEnded() {
		if (document.getElementById('lk-session-ended'))
			return;
		const bar = h('div', { class: 'lk-banner', id: 'lk-session-ended', role: 'alert' },
			h('span', null, 'Your session has ended. '),
			h('a', { href: '/admin' }, 'Sign in again'));
		document.body.prepend(bar);
	}

	/* Clipboard ---------------------------------------------------------- */

	function selectText(el) {
		const range = document.createRange();
		range.selectNodeContents(el);
		const sel = window.getSelection();
		sel.removeAllRanges();
		sel.addRange(range);
	}

	// Copies with the Clipboard API; where that is refused, selects the text.
	async function copyFrom(el, btn) {
		const text = el.textContent;
		try {
			if (!navigator.clipboard || !window.isSecureContext)
				throw new Error('no clipboard');
			await navigator.clipboard.writeText(text);
			btn.textContent = 'Copied';
			announce('Copied to the clipboard.');
			window.setTimeout(() => { btn.textContent = 'Copy'; }, 2000);
		} catch {
			selectText(el);
			announce('The text is selected: press Ctrl+C (\u2318C on a Mac) to copy it.');
		}
	}

	// A labelled value with a copy button (keys, passwords, tokens).
	function keyField(label, value, id, { secret = false } = {}) {
		const labelId = uid('keylabel');
		const val = h('code', { class: `lk-keyfield-value${secret ? ' lk-secret' : ''}`, id, 'aria-labelledby': labelId }, value);
		const btn = button('Copy', null, { kind: 'lk-btn-small', 'aria-label': `Copy ${label.toLowerCase()}` });
		btn.addEventListener('click', () => copyFrom(val, btn));
		return h('div', { class: 'lk-keyfield' },
			h('span', { class: 'lk-keyfield-label', id: labelId }, label),
			h('div', { class: 'lk-keyfield-row' }, val, btn));
	}

	function onceNote(what) {
		return h('p', { class: 'lk-alert lk-alert-warn lk-once' },
			h('strong', null, `This ${what} is shown only now. `),
			'Copy it and keep it somewhere safe: latchkey stores only a hash of it and cannot show it again.');
	}

	/* Dialogs ------------------------------------------------------------ */

	/*
	 * A modal confirmation in a <dialog>. Resolves true when the person
	 * confirms; Escape and Cancel resolve false. Focus goes back to where it
	 * was.
	 */
	function confirmDialog({ title, body, confirm, danger = false }) {
		return new Promise((resolve) => {
			const back = document.activeElement;
			const titleId = uid('dlg-title');
			const bodyId = uid('dlg-body');
			const cancel = h('button', { class: 'lk-btn', type: 'submit', value: 'cancel', autofocus: true }, 'Cancel');
			const ok = h('button', { class: `lk-btn ${danger ? 'lk-btn-danger' : 'lk-btn-primary'}`, type: 'submit', value: 'ok' }, confirm);
			const dlg = h('dialog', { class: 'lk-dialog', 'aria-labelledby': titleId, 'aria-describedby': bodyId },
				h('form', { method: 'dialog' },
					h('h2', { id: titleId, class: 'lk-dialog-title' }, title),
					h('div', { id: bodyId, class: 'lk-dialog-body' }, body),
					h('div', { class: 'lk-dialog-actions' }, cancel, ok)));
			dlg.addEventListener('close', () => {
				resolve(dlg.returnValue === 'ok');
				dlg.remove();
				if (back && typeof back.focus === 'function' && back.isConnected)
					back.focus();
			});
			document.body.append(dlg);
			dlg.showModal();
			cancel.focus();
		});
	}

	/*
	 * A modal form in a <dialog>. On submit `save()` runs: when it resolves
	 * the dialog closes and the promise resolves to its result; when it
	 * throws, the message shows in the dialog's alert and the form stays
	 * open for another try. Escape and Cancel resolve null. Focus goes to
	 * the first field, and back to where it was on closing.
	 */
	function formDialog({ title, lead, kids, confirm, save }) {
		return new Promise((resolve) => {
			const back = document.activeElement;
			const titleId = uid('dlg-title');
			const alert = alertBox();
			let result = null;
			const ok = h('button', { class: 'lk-btn lk-btn-primary', type: 'submit' }, confirm);
			const dlg = h('dialog', { class: 'lk-dialog lk-dialog-form', 'aria-labelledby': titleId });
			const cancel = button('Cancel', () => dlg.close(), { kind: 'lk-btn-quiet' });
			const form = h('form', {
				class: 'lk-form',
				novalidate: true,
				onsubmit: async (e) => {
					e.preventDefault();
					clearError(alert);
					ok.disabled = true;
					form.setAttribute('aria-busy', 'true');
					try {
						result = await save();
						dlg.close();
					} catch (err) {
						showError(alert, err);
					} finally {
						ok.disabled = false;
						form.removeAttribute('aria-busy');
					}
				},
			},
			h('h2', { id: titleId, class: 'lk-dialog-title' }, title),
			lead ? h('p', { class: 'lk-muted lk-dialog-lead' }, lead) : null,
			kids,
			alert,
			h('div', { class: 'lk-dialog-actions' }, cancel, ok));
			dlg.append(form);
			// A change under way is not abandoned halfway by Escape.
			dlg.addEventListener('cancel', (e) => {
				if (ok.disabled)
					e.preventDefault();
			});
			dlg.addEventListener('close', () => {
				resolve(result);
				dlg.remove();
				if (back && typeof back.focus === 'function' && back.isConnected)
					back.focus();
			});
			document.body.append(dlg);
			dlg.showModal();
			form.querySelector('input, select, textarea')?.focus();
		});
	}

	/* Page frame --------------------------------------------------------- */

	function pageHead(title, lead, ...actions) {
		const h1 = h('h1', { class: 'lk-title', tabindex: '-1' }, title);
		return h('div', { class: 'lk-pagehead' },
			h('div', { class: 'lk-pagehead-text' }, h1, lead ? h('p', { class: 'lk-lead' }, lead) : null),
			actions.length ? h('div', { class: 'lk-pagehead-actions' }, actions) : null);
	}

	function panel(title, ...kids) {
		const id = title ? uid('panel') : null;
		return h('section', { class: 'lk-panel', 'aria-labelledby': id },
			title ? h('h2', { class: 'lk-panel-title', id }, title) : null, kids);
	}

	function show(ctx, title, ...kids) {
		if (ctx.seq !== state.renderSeq)
			return false;
		const m = main();
		m.replaceChildren(...kids.flat());
		document.title = `${title} \u00b7 latchkey administration`;
		// Someone who navigated lands on the new heading (screen readers read it).
		if (!state.firstRender) {
			const h1 = m.querySelector('h1');
			if (h1)
				h1.focus({ preventScroll: false });
		}
		state.firstRender = false;
		return true;
	}

	/* Lists, search and paging ------------------------------------------- */

	// A table that becomes a stack of cards on narrow screens (admin.css).
	function dataTable(caption, columns, items, emptyText) {
		if (!items.length)
			return h('p', { class: 'lk-empty' }, emptyText);
		const head = h('tr', null, columns.map((c) => h('th', { scope: 'col', class: c.class }, c.label)));
		const rows = items.map((item) => h('tr', null, columns.map((c, i) => {
			const cell = c.cell(item);
			const td = h(i === 0 ? 'th' : 'td', { class: c.class, 'data-label': c.label }, cell);
			if (i === 0)
				td.setAttribute('scope', 'row');
			return td;
		})));
		return h('div', { class: 'lk-tablewrap' },
			h('table', { class: 'lk-table' },
				h('caption', { class: 'lk-sr' }, caption),
				h('thead', null, head),
				h('tbody', null, rows)));
	}

	function searchForm(route, q, label, placeholder) {
		const id = uid('search');
		const input = h('input', { id, type: 'search', name: 'q', value: q, placeholder, autocomplete: 'off', spellcheck: 'false' });
		return h('form', {
			class: 'lk-search',
			role: 'search',
			onsubmit: (e) => {
				e.preventDefault();
				location.hash = `#${route}${qs({ q: input.value.trim() })}`;
			},
		},
		h('label', { for: id, class: 'lk-sr' }, label),
		input,
		button('Search', null, { type: 'submit' }),
		q ? linkButton(`#${route}`, 'Clear', 'lk-btn-quiet') : null);
	}

	function pager(route, q, data) {
		const total = nat(data.total, data.items.length);
		const offset = nat(data.offset);
		const limit = nat(data.limit, PAGE_SIZE) || PAGE_SIZE;
		const first = total ? offset + 1 : 0;
		const last = Math.min(offset + data.items.length, total);
		const prev = offset > 0 ? `#${route}${qs({ q, offset: Math.max(0, offset - limit) || '' })}` : null;
		const next = offset + limit < total ? `#${route}${qs({ q, offset: offset + limit })}` : null;
		return h('nav', { class: 'lk-pager', 'aria-label': 'Pages' },
			h('span', { class: 'lk-muted' }, `${first}\u2013${last} of ${total}`),
			h('span', { class: 'lk-pager-buttons' },
				prev ? linkButton(prev, 'Previous', 'lk-btn-small') : button('Previous', null, { kind: 'lk-btn-small', disabled: true }),
				next ? linkButton(next, 'Next', 'lk-btn-small') : button('Next', null, { kind: 'lk-btn-small', disabled: true })));
	}

	/*
	 * A searchable, paged list of an API collection. load() (re)fetches and
	 * redraws it; errors of row actions go to its alert.
	 */
	function listBlock({ apiPath, route, params, caption, columns, emptyText, searchLabel, placeholder }) {
		const q = params.get('q') ?? '';
		const offset = nat(params.get('offset'));
		const alert = alertBox();
		const body = h('div', { class: 'lk-listbody' });
		const el = h('div', { class: 'lk-list' }, searchForm(route, q, searchLabel, placeholder), alert, body);
		async function load() {
			const data = await api('GET', `${apiPath}${qs({ q, offset: offset || '', limit: PAGE_SIZE })}`);
			const items = Array.isArray(data?.items) ? data.items : [];
			const empty = q ? `Nothing matches \u201c${q}\u201d.` : emptyText;
			body.replaceChildren(dataTable(caption, columns, items, empty), pager(route, q, { ...data, items }));
			return data;
		}
		return { el, load, alert };
	}

	// Runs a row action: errors go to the list's alert, success is announced.
	async function act(list, what, fn) {
		clearError(list.alert);
		try {
			await fn();
			if (what)
				announce(what);
			await list.load();
		} catch (e) {
			showError(list.alert, e);
		}
	}

	/* Form fields -------------------------------------------------------- */

	// A labelled field: label, control, optional hint (tied by aria-describedby).
	function field(label, control, { hint, required = false, cls = '' } = {}) {
		if (!control.id)
			control.id = uid('f');
		const parts = [h('label', { for: control.id, class: 'lk-label' }, label, required ? h('span', { class: 'lk-req', 'aria-hidden': 'true' }, ' *') : null), control];
		let hintEl = null;
		if (hint !== undefined) {
			hintEl = h('p', { class: 'lk-hint', id: uid('hint') }, hint);
			control.setAttribute('aria-describedby', hintEl.id);
			parts.push(hintEl);
		}
		if (required)
			control.required = true;
		const wrap = h('div', { class: `lk-field ${cls}`.trim() }, parts);
		wrap.hint = hintEl;
		return wrap;
	}

	function select(options, value) {
		const el = h('select', null, options.map(([v, label]) => h('option', { value: v }, label)));
		el.value = value ?? options[0][0];
		return el;
	}

	function checkbox(label, checked, hint) {
		const id = uid('cb');
		const input = h('input', { type: 'checkbox', id, checked });
		const hintEl = hint ? h('span', { class: 'lk-hint', id: uid('hint') }, hint) : null;
		if (hintEl)
			input.setAttribute('aria-describedby', hintEl.id);
		const wrap = h('div', { class: 'lk-check' }, input, h('label', { for: id }, label), hintEl);
		wrap.input = input;
		return wrap;
	}

	/*
	 * A list of URL inputs, each with its own label and a Remove button, and
	 * a button that adds one more (redirect URIs are several).
	 */
	function uriList(legend, noun, values, hint) {
		const list = h('ol', { class: 'lk-urilist' });
		const hintId = uid('hint');
		const addBtn = button(`Add ${noun}`, () => { const i = addRow(''); i.focus(); }, { kind: 'lk-btn-small' });
		const fs = h('fieldset', { class: 'lk-fieldset lk-field' },
			h('legend', { class: 'lk-label' }, legend),
			h('p', { class: 'lk-hint', id: hintId }, hint),
			list, addBtn);
		function renumber() {
			[...list.children].forEach((li, n) => {
				li.querySelector('label').textContent = `${noun[0].toUpperCase()}${noun.slice(1)} ${n + 1}`;
				li.querySelector('button').setAttribute('aria-label', `Remove ${noun} ${n + 1}`);
			});
		}
		function addRow(v) {
			const input = h('input', { type: 'url', id: uid('uri'), value: v, inputmode: 'url', autocomplete: 'off', spellcheck: 'false', placeholder: 'https://', 'aria-describedby': hintId });
			const li = h('li', { class: 'lk-urirow' },
				h('label', { for: input.id, class: 'lk-sr' }, noun),
				input,
				button('Remove', () => {
					const next = li.nextElementSibling ?? li.previousElementSibling;
					li.remove();
					renumber();
					(next?.querySelector('input') ?? addBtn).focus();
				}, { kind: 'lk-btn-small lk-btn-quiet' }));
			list.append(li);
			renumber();
			return input;
		}
		for (const v of values.length ? values : [''])
			addRow(v);
		fs.values = () => [...list.querySelectorAll('input')].map((i) => i.value.trim()).filter(Boolean);
		return fs;
	}

	/* Certificates ------------------------------------------------------- */

	function derToPem(bytes) {
		let bin = '';
		for (let i = 0; i < bytes.length; i += 0x8000)
			bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
		const b64 = window.btoa(bin);
		return `-----BEGIN CERTIFICATE-----\n${b64.match(/.{1,64}/g).join('\n')}\n-----END CERTIFICATE-----\n`;
	}

	/*
	 * Reads a chosen .cer/.pem file: PEM text is sent as it is, a DER
	 * certificate (an ASN.1 SEQUENCE) is wrapped into PEM here. latchkey
	 * checks the certificate itself.
	 */
	async function readCertificate(file) {
		if (file.size > CERT_MAX_BYTES)
			throw new Error(`${file.name}: larger than ${CERT_MAX_BYTES / 1024} KiB, too large for a certificate.`);
		const bytes = new Uint8Array(await file.arrayBuffer());
		const text = new TextDecoder('utf-8').decode(bytes);
		if (text.includes('-----BEGIN CERTIFICATE-----'))
			return text;
		if (bytes.length < 16 || bytes[0] !== 0x30)
			throw new Error(`${file.name}: not a certificate (expected PEM text or DER).`);
		return derToPem(bytes);
	}

	/* The application form ----------------------------------------------- */

	const sameList = (a, b) => [...a].sort().join(' ') === [...b].sort().join(' ');

	/*
	 * The register / edit form with every option of DESIGN §1. Only the
	 * fields that apply to the chosen grant type (and redirect strategy) are
	 * shown; values of hidden fields are not sent. With `app` it edits, and
	 * submits only what changed.
	 */
	function appForm({ app, catalog, onSaved, cancelHref }) {
		const editing = Boolean(app);
		const v = app ?? {};
		const alert = alertBox();
		let certPem = null;

		const name = h('input', { type: 'text', value: v.name ?? '', maxlength: '200', autocomplete: 'off', spellcheck: 'false' });
		const description = h('textarea', { rows: '2', maxlength: '1000' });
		description.value = v.description ?? '';
		const website = h('input', { type: 'url', value: v.website ?? '', inputmode: 'url', placeholder: 'https://', autocomplete: 'off' });

		const grant = select(state.grantTypes.map((g) => [g, grantLabel(g)]), v.grant_type ?? 'authorization_code');
		const grantField = field('Grant type', grant, { hint: '', required: true });

		// Allowed scopes: checkboxes from the catalog.
		const scopeBoxes = catalog.map((s) => {
			const cb = checkbox(s.name, (v.scopes ?? ['api']).includes(s.name), s.description || null);
			cb.classList.add('lk-scopecheck');
			cb.input.value = s.name;
			cb.input.name = 'scope';
			cb.scope = s;
			return cb;
		});
		const certNote = h('p', { class: 'lk-hint lk-note' }, 'Client-certificate applications have their scopes fixed to the catalog\u2019s certificate scopes.');
		const scopesFs = h('fieldset', { class: 'lk-fieldset lk-field lk-span' },
			h('legend', { class: 'lk-label' }, 'Allowed scopes'),
			certNote,
			h('div', { class: 'lk-scopegrid' }, scopeBoxes));

		const user = h('input', { type: 'text', value: v.user ?? '', autocomplete: 'off', spellcheck: 'false', placeholder: 'domain\\user', list: uid('users') });
		const userList = h('datalist', { id: user.getAttribute('list') });
		let suggestTimer = 0;
		user.addEventListener('input', () => {
			window.clearTimeout(suggestTimer);
			suggestTimer = window.setTimeout(async () => {
				try {
					const d = await api('GET', `/users${qs({ q: user.value.trim(), limit: SUGGESTIONS })}`);
					userList.replaceChildren(...(d?.items ?? []).map((u) => h('option', { value: u.user }, u.display_name || u.user)));
				} catch { /* suggestions are a convenience only */ }
			}, 250);
		});
		const userField = field('User', user, { hint: 'The existing user the application acts as: its tokens carry this user as subject. Leave empty for the application to act as itself. Prefer a user with the least privileges, not an administrator.' });
		userField.append(userList);

		const certInput = h('input', { type: 'file', accept: '.cer,.crt,.pem,.der,application/pkix-cert,application/x-x509-ca-cert' });
		const certStatus = h('p', { class: 'lk-hint lk-certstatus', 'aria-live': 'polite' });
		if (v.certificate)
			certStatus.textContent = `Current: ${v.certificate.subject} (${v.certificate.key_type}), valid until ${v.certificate.not_after}. Choose a file to replace it.`;
		certInput.addEventListener('change', async () => {
			certPem = null;
			clearError(alert);
			const file = certInput.files?.[0];
			if (!file) {
				certStatus.textContent = '';
				return;
			}
			try {
				certPem = await readCertificate(file);
				certStatus.textContent = `${file.name}: certificate read (${file.size} bytes).`;
			} catch (e) {
				certStatus.textContent = '';
				showError(alert, e);
			}
		});
		const certField = field('Public key (.cer)', certInput, { hint: 'The application\u2019s X.509 certificate, PEM or DER: RSA of 2048 bits or more, or EC P-256.', required: !editing });
		certField.append(certStatus);

		const strategy = select(Object.entries(STRATEGIES).map(([k, s]) => [k, s.label]), v.redirect_strategy ?? 'web');
		const strategyField = field('Redirect strategy', strategy, { hint: '' });
		const redirects = uriList('Redirect URIs', 'redirect URI', v.redirect_uris ?? [], 'Where the browser returns with the code. HTTPS, absolute, no fragment, matched exactly.');
		const logoutUris = uriList('Post-logout redirect URIs', 'post-logout redirect URI', v.post_logout_redirect_uris ?? [], 'Where sign-out may return to. Same rules as redirect URIs; optional.');

		const lifeMode = select([['default', 'Server default'], ['minutes', 'Minutes'], ['never', 'Never expires']],
			v.lifetime === 'never' ? 'never' : Number.isInteger(v.lifetime) ? 'minutes' : 'default');
		const lifeMinutes = h('input', { type: 'number', min: '1', max: '525600', step: '1', inputmode: 'numeric', value: Number.isInteger(v.lifetime) ? String(v.lifetime) : '60' });
		const lifeField = field('Token lifetime', lifeMode, { hint: '' });
		const minutesField = field('Lifetime in minutes', lifeMinutes);
		const lifecycle = select([['absolute', 'Absolute: expires at issue + lifetime'], ['sliding', 'Sliding: each use extends it']], v.lifecycle ?? 'absolute');
		const tokenFormat = select([['', 'Default'], ['jwt', 'JWT (verifiable offline)'], ['opaque', 'Opaque (checked by introspection)']], v.token_format ?? '');
		const audience = h('input', { type: 'text', value: v.audience ?? '', autocomplete: 'off', spellcheck: 'false', placeholder: document.body.dataset.issuer || '' });
		const clientType = select([['', 'Default (by redirect strategy)'], ['confidential', 'Confidential: has a secret'], ['public', 'Public: no secret, PKCE']], v.client_type ?? '');
		if (editing)
			clientType.disabled = true;
		const idAlg = select(ID_TOKEN_ALGS.map((a) => [a, a === 'RS256' ? 'RS256 (default)' : a]), v.id_token_signed_response_alg ?? 'RS256');
		const uiAlg = select([['', 'Plain JSON (not signed)'], ...ID_TOKEN_ALGS.map((a) => [a, `Signed JWT, ${a}`])], v.userinfo_signed_response_alg ?? '');
		const firstParty = checkbox('First-party application', Boolean(v.first_party), 'Skips the consent page: you vouch for this application.');

		const clientTypeField = field('Client type', clientType, { hint: editing ? 'Fixed once registered.' : 'Mobile strategies default to public; web to confidential.' });
		const idAlgField = field('ID token algorithm', idAlg);
		const uiAlgField = field('Userinfo response', uiAlg);
		const formatField = field('Token format', tokenFormat, { hint: 'JWT by default; a sliding life cycle, a lifetime of never and bearer-token applications always use opaque tokens.' });

		const grid = (...kids) => h('div', { class: 'lk-grid' }, kids);
		const section = (title, ...kids) => h('fieldset', { class: 'lk-section' }, h('legend', { class: 'lk-section-title' }, title), kids);

		const redirectSection = section('Redirects', grid(strategyField, redirects, logoutUris));
		const signInSection = section('Sign-in', grid(clientTypeField, idAlgField, uiAlgField, firstParty));

		const submit = button(editing ? 'Save changes' : 'Register application', null, { kind: 'lk-btn-primary', type: 'submit' });
		const form = h('form', { class: 'lk-form lk-appform', novalidate: true },
			section('Application',
				grid(field('Name', name, { required: true, hint: 'Unique and human readable. Applications are addressed by client ID or name.' }),
					field('Website', website),
					field('Description', description, { cls: 'lk-span' }))),
			section('Access', grid(grantField, userField, certField, scopesFs)),
			redirectSection,
			section('Tokens', grid(lifeField, minutesField,
				field('Life cycle', lifecycle), formatField,
				field('Audience', audience, { hint: 'The access token\u2019s aud. Empty: the issuer.' }))),
			signInSection,
			alert,
			h('div', { class: 'lk-formactions' }, submit, linkButton(cancelHref, 'Cancel', 'lk-btn-quiet')));

		const certScopes = () => catalog.filter((s) => s.certificate).map((s) => s.name);

		// Shows what applies to the grant type and strategy (DESIGN §1).
		function sync() {
			const g = grant.value;
			const code = HAS_CODE.includes(g);
			const cert = g === 'client_certificate';
			grantField.hint.textContent = GRANTS[g]?.hint ?? '';
			userField.hidden = !BINDS_USER.includes(g);
			certField.hidden = !cert;
			redirectSection.hidden = !code;
			redirects.hidden = strategy.value === 'mobile-title';
			strategyField.hint.textContent = STRATEGIES[strategy.value]?.hint ?? '';
			clientTypeField.hidden = g !== 'authorization_code';
			idAlgField.hidden = !SIGNS_IN.includes(g);
			uiAlgField.hidden = !SIGNS_IN.includes(g);
			firstParty.hidden = !code;
			signInSection.hidden = ![clientTypeField, idAlgField, uiAlgField, firstParty].some((f) => !f.hidden);
			minutesField.hidden = lifeMode.value !== 'minutes';
			lifeField.hint.textContent = g === 'bearer_token' ? 'Server default for bearer-token applications: never expires.' : 'Server default: the server\u2019s access token lifetime (60 minutes unless configured).';
			certNote.hidden = !cert;
			const fixed = certScopes();
			for (const cb of scopeBoxes) {
				if (cert) {
					cb.input.checked = fixed.includes(cb.scope.name);
					cb.input.disabled = true;
				} else if (cb.input.disabled) {
					cb.input.disabled = false;
					cb.input.checked = (v.scopes ?? ['api']).includes(cb.scope.name);
				}
			}
		}
		for (const el of [grant, strategy, lifeMode])
			el.addEventListener('change', sync);
		sync();

		// Everything that applies, as APP_INPUT members.
		function collect() {
			const g = grant.value;
			const code = HAS_CODE.includes(g);
			const out = {
				name: name.value.trim(),
				description: description.value.trim(),
				website: website.value.trim(),
				grant_type: g,
				scopes: g === 'client_certificate' ? certScopes() : scopeBoxes.filter((c) => c.input.checked).map((c) => c.scope.name),
				lifecycle: lifecycle.value,
				token_format: tokenFormat.value,
				audience: audience.value.trim(),
			};
			if (lifeMode.value === 'never')
				out.lifetime = 'never';
			else if (lifeMode.value === 'minutes')
				out.lifetime = Number.parseInt(lifeMinutes.value, 10);
			else
				out.lifetime = 'default';
			if (BINDS_USER.includes(g))
				out.user = user.value.trim();
			else if (editing && v.user)
				out.user = ''; // the new grant type acts as no user: unbind
			if (code) {
				out.redirect_strategy = strategy.value;
				out.redirect_uris = strategy.value === 'mobile-title' ? [] : redirects.values();
				out.post_logout_redirect_uris = logoutUris.values();
				out.first_party = firstParty.input.checked;
			}
			if (g === 'authorization_code' && !editing)
				out.client_type = clientType.value;
			if (SIGNS_IN.includes(g)) {
				out.id_token_signed_response_alg = idAlg.value;
				out.userinfo_signed_response_alg = uiAlg.value || null;
			}
			if (certPem)
				out.public_key = certPem;
			return out;
		}

		// A new application: what is empty or default stays out.
		function forAdd(c) {
			const body = {};
			for (const [k, val] of Object.entries(c)) {
				if (val === '' || val === null || (Array.isArray(val) && !val.length))
					continue;
				if (k === 'lifetime' && val === 'default')
					continue;
				if (k === 'first_party' && !val)
					continue;
				if (k === 'id_token_signed_response_alg' && val === 'RS256')
					continue;
				body[k] = val;
			}
			return body;
		}

		// An edit: only the members that differ from the stored application.
		function forPatch(c) {
			const body = {};
			const was = {
				...v,
				user: v.user ?? '',
				audience: v.audience ?? '',
				token_format: v.token_format ?? '',
				lifetime: v.lifetime ?? 'default',
			};
			for (const [k, val] of Object.entries(c)) {
				const old = was[k];
				if (Array.isArray(val) ? !sameList(val, old ?? []) : val !== (old ?? (val === null ? null : '')))
					body[k] = val;
			}
			// A token format the person left at "Default" is not a change.
			if (body.token_format === '')
				delete body.token_format;
			return body;
		}

		form.addEventListener('submit', async (e) => {
			e.preventDefault();
			clearError(alert);
			const c = collect();
			if (!c.name) {
				showError(alert, 'name: must not be empty');
				name.focus();
				return;
			}
			if (lifeMode.value === 'minutes' && !(c.lifetime >= 1)) {
				showError(alert, 'lifetime: give a number of minutes (1 or more), or choose \u201cNever expires\u201d.');
				lifeMinutes.focus();
				return;
			}
			if (!editing && c.grant_type === 'client_certificate' && !certPem) {
				showError(alert, 'public_key: choose the application\u2019s certificate file (.cer or .pem).');
				certInput.focus();
				return;
			}
			const body = editing ? forPatch(c) : forAdd(c);
			if (editing && !Object.keys(body).length) {
				showError(alert, 'Nothing has changed.');
				return;
			}
			submit.disabled = true;
			form.setAttribute('aria-busy', 'true');
			try {
				const res = editing
					? await api('PATCH', `/apps/${encodeURIComponent(v.client_id)}`, body)
					: await api('POST', '/apps', body);
				onSaved(res);
			} catch (err) {
				showError(alert, err);
				alert.scrollIntoView({ block: 'nearest' });
			} finally {
				submit.disabled = false;
				form.removeAttribute('aria-busy');
			}
		});
		return form;
	}

	/* Views: applications ------------------------------------------------ */

	function appRoute(app) {
		return `#/apps/${encodeURIComponent(app.client_id)}`;
	}

	async function viewApps(ctx) {
		const list = listBlock({
			apiPath: '/apps',
			route: '/apps',
			params: ctx.params,
			caption: 'OAuth2 applications',
			searchLabel: 'Search applications',
			placeholder: 'Search by name, client ID or description',
			emptyText: 'No application is registered yet.',
			columns: [
				{ label: 'Name', cell: (a) => h('a', { href: appRoute(a), class: 'lk-rowlink' }, a.name) },
				{ label: 'Grant type', cell: (a) => grantLabel(a.grant_type) },
				{ label: 'Scopes', cell: (a) => h('span', { class: 'lk-tags' }, (a.scopes ?? []).map((s) => tag(s))) },
				{ label: 'Client ID', class: 'lk-col-id', cell: (a) => code(a.client_id) },
				{ label: 'Enabled', cell: (a) => badge(a.enabled) },
			],
		});
		await list.load();
		show(ctx, 'OAuth2 Applications',
			pageHead('OAuth2 Applications', 'Applications that may call your APIs, and their keys.', linkButton('#/apps/new', 'Register application', 'lk-btn-primary')),
			h('div', { class: 'lk-panel lk-panel-flush' }, list.el));
	}

	async function catalogScopes() {
		const d = await api('GET', '/scopes?limit=500');
		return Array.isArray(d?.items) ? d.items : [];
	}

	async function viewAppNew(ctx) {
		const catalog = await catalogScopes();
		const slot = h('div');
		const form = appForm({
			catalog,
			cancelHref: '#/apps',
			onSaved: (app) => {
				const secret = app.client_secret ?? null;
				delete app.client_secret;
				slot.replaceChildren(keysShownOnce(app, secret));
				slot.querySelector('h1')?.focus();
				announce(`${app.name} is registered.`);
			},
		});
		slot.append(pageHead('Register application', 'Register an application to give it keys: a client ID and, for confidential applications, a client secret.'),
			h('div', { class: 'lk-panel' }, form));
		show(ctx, 'Register application', slot);
	}

	// The keys right after registration: the secret is shown this one time.
	function keysShownOnce(app, secret) {
		const kids = [keyField('Client ID', app.client_id, 'lk-client-id')];
		if (secret) {
			kids.push(keyField('Client secret', secret, 'lk-client-secret', { secret: true }), onceNote('client secret'));
		} else if (app.grant_type === 'client_certificate') {
			kids.push(h('p', { class: 'lk-alert lk-alert-info' }, 'This application authenticates with a JWT signed by its certificate\u2019s private key; it has no client secret.'));
		} else {
			kids.push(h('p', { class: 'lk-alert lk-alert-info' }, 'This is a public application: it has no client secret and must use PKCE.'));
		}
		return h('div', { class: 'lk-keys', id: 'lk-keys' },
			pageHead('Application registered', `${app.name} (${grantLabel(app.grant_type)}) is registered. These are its keys.`),
			h('div', { class: 'lk-panel lk-panel-keys' }, kids,
				h('div', { class: 'lk-formactions' },
					linkButton(appRoute(app), 'Open the application', 'lk-btn-primary'),
					linkButton('#/apps', 'Back to the list'),
					// The same hash: draw the form again rather than navigate.
					button('Register another', () => route(), { kind: 'lk-btn-quiet' }))));
	}

	function settingsList(app) {
		const rows = [
			['Client ID', code(app.client_id)],
			['Grant type', grantLabel(app.grant_type)],
			['Allowed scopes', h('span', { class: 'lk-tags' }, (app.scopes ?? []).map((s) => tag(s)))],
		];
		if (BINDS_USER.includes(app.grant_type))
			rows.push(['User', app.user ? code(app.user) : muted('None: acts as itself')]);
		if (HAS_CODE.includes(app.grant_type)) {
			rows.push(['Redirect strategy', strategyLabel(app.redirect_strategy)]);
			rows.push(['Redirect URIs', app.redirect_uris?.length ? h('ul', { class: 'lk-plainlist' }, app.redirect_uris.map((u) => h('li', null, code(u)))) : muted('None')]);
			rows.push(['Post-logout redirect URIs', app.post_logout_redirect_uris?.length ? h('ul', { class: 'lk-plainlist' }, app.post_logout_redirect_uris.map((u) => h('li', null, code(u)))) : muted('None')]);
		}
		rows.push(['Token lifetime', lifetimeText(app.lifetime)],
			['Life cycle', app.lifecycle === 'sliding' ? 'Sliding' : 'Absolute'],
			['Client type', app.client_type === 'public' ? 'Public' : 'Confidential'],
			['Token format', app.token_format === 'opaque' ? 'Opaque' : 'JWT'],
			['Audience', app.audience ? code(app.audience) : muted('The issuer')]);
		if (SIGNS_IN.includes(app.grant_type)) {
			rows.push(['ID token algorithm', app.id_token_signed_response_alg ?? 'RS256'],
				['Userinfo response', app.userinfo_signed_response_alg ? `Signed JWT, ${app.userinfo_signed_response_alg}` : 'Plain JSON']);
		}
		if (HAS_CODE.includes(app.grant_type))
			rows.push(['First party', app.first_party ? 'Yes: no consent page' : 'No']);
		rows.push(['Description', app.description || muted('\u2014')],
			['Website', safeLink(app.website)],
			['Created', when(app.created_at)],
			['Updated', when(app.updated_at)]);
		return h('dl', { class: 'lk-dl' }, rows.map(([k, val]) => h('div', { class: 'lk-dl-row' }, h('dt', null, k), h('dd', null, val))));
	}

	async function viewApp(ctx) {
		const id = ctx.match[1];
		const app = await api('GET', `/apps/${encodeURIComponent(id)}`);
		const pageAlert = alertBox();
		const path = `/apps/${encodeURIComponent(app.client_id)}`;
		const reload = () => route();

		const toggle = button(app.enabled ? 'Disable' : 'Enable', async () => {
			clearError(pageAlert);
			try {
				await api('POST', `${path}/${app.enabled ? 'disable' : 'enable'}`);
				announce(`${app.name} is ${app.enabled ? 'disabled' : 'enabled'}.`);
				reload();
			} catch (e) {
				showError(pageAlert, e);
			}
		});
		const del = button('Delete', async () => {
			clearError(pageAlert);
			const ok = await confirmDialog({
				title: `Delete ${app.name}?`,
				body: [h('p', null, 'The application, its keys and its tokens stop working at once. This cannot be undone.'),
					h('p', null, 'Client ID: ', code(app.client_id))],
				confirm: 'Delete application',
				danger: true,
			});
			if (!ok)
				return;
			try {
				await api('DELETE', path);
				announce(`${app.name} is deleted.`);
				location.hash = '#/apps';
			} catch (e) {
				showError(pageAlert, e);
			}
		}, { kind: 'lk-btn-danger' });

		const keys = [keyField('Client ID', app.client_id, 'lk-detail-client-id')];
		if (hasSecret(app)) {
			keys.push(rotateForm(app, path));
		} else if (app.grant_type === 'client_certificate') {
			keys.push(h('p', { class: 'lk-muted' }, 'Authenticates with a JWT signed by its certificate\u2019s private key; no client secret.'));
		} else {
			keys.push(h('p', { class: 'lk-muted' }, 'A public application: no client secret, PKCE required.'));
		}

		const sections = [
			pageHead(app.name, h('span', { class: 'lk-lead-inline' }, grantLabel(app.grant_type), ' \u00b7 ', badge(app.enabled)),
				linkButton(`#/apps/${encodeURIComponent(app.client_id)}/edit`, 'Edit'), toggle, del),
			pageAlert,
			panel('Keys', keys),
		];
		if (app.grant_type === 'bearer_token')
			sections.push(panel('Bearer token', tokenMinter(app, path)));
		if (app.certificate) {
			const c = app.certificate;
			sections.push(panel('Certificate', h('dl', { class: 'lk-dl' },
				[['Subject', c.subject], ['Key', c.key_type], ['Key ID (kid)', code(c.kid)], ['Valid from', when(c.not_before)], ['Valid until', when(c.not_after)]]
					.map(([k, val]) => h('div', { class: 'lk-dl-row' }, h('dt', null, k), h('dd', null, val))))));
		}
		sections.push(panel('Settings', settingsList(app)));
		show(ctx, app.name, sections);
	}

	function rotateForm(app, path) {
		const alert = alertBox();
		const grace = h('input', { type: 'number', min: '0', max: '525600', step: '1', value: '0', inputmode: 'numeric', class: 'lk-input-short' });
		const result = h('div', { class: 'lk-result' });
		const submit = button('Rotate secret', null, { type: 'submit' });
		const form = h('form', {
			class: 'lk-form lk-inlineform',
			onsubmit: async (e) => {
				e.preventDefault();
				clearError(alert);
				const minutes = Number.parseInt(grace.value || '0', 10);
				if (!(minutes >= 0)) {
					showError(alert, 'grace: give a number of minutes (0 or more).');
					return;
				}
				const ok = await confirmDialog({
					title: 'Rotate the client secret?',
					body: h('p', null, minutes ? `A new secret is issued. The current one keeps working for ${minutes} minute${minutes === 1 ? '' : 's'}, then stops.` : 'A new secret is issued and the current one stops working now.'),
					confirm: 'Rotate secret',
				});
				if (!ok)
					return;
				submit.disabled = true;
				try {
					const r = await api('POST', `${path}/rotate-secret`, { grace: minutes });
					result.replaceChildren(h('div', { class: 'lk-panel-keys' },
						keyField('New client secret', r.client_secret, 'lk-new-secret', { secret: true }), onceNote('client secret')));
					announce('A new client secret is issued.');
				} catch (err) {
					showError(alert, err);
				} finally {
					submit.disabled = false;
				}
			},
		},
		h('p', { class: 'lk-muted lk-secretnote' }, 'Client secret: hidden. latchkey keeps only a hash of it; rotate it to issue a new one.'),
		h('div', { class: 'lk-inline' }, field('Grace period (minutes)', grace, { hint: 'How long the current secret keeps working. 0: it stops now.' }), submit),
		alert);
		return h('div', null, form, result);
	}

	function tokenMinter(app, path) {
		const alert = alertBox();
		const result = h('div', { class: 'lk-result' });
		const mint = button('Issue a token', async () => {
			clearError(alert);
			mint.disabled = true;
			try {
				const t = await api('POST', `${path}/token`);
				const facts = [`Type ${t.token_type}`, t.scope ? `scope ${t.scope}` : null, t.expires_in ? `expires in ${t.expires_in} s` : 'does not expire'].filter(Boolean).join(' \u00b7 ');
				result.replaceChildren(h('div', { class: 'lk-panel-keys' },
					keyField('Access token', t.access_token, 'lk-access-token', { secret: true }),
					h('p', { class: 'lk-muted' }, facts), onceNote('token')));
				announce('A bearer token is issued.');
			} catch (e) {
				showError(alert, e);
			} finally {
				mint.disabled = false;
			}
		}, { kind: 'lk-btn-primary' });
		return h('div', null, h('p', { class: 'lk-muted' }, 'Issues an access token for this application, as its own token request would.'), mint, alert, result);
	}

	async function viewAppEdit(ctx) {
		const id = ctx.match[1];
		const [app, catalog] = await Promise.all([api('GET', `/apps/${encodeURIComponent(id)}`), catalogScopes()]);
		const form = appForm({
			app,
			catalog,
			cancelHref: appRoute(app),
			onSaved: (saved) => {
				announce(`${saved.name} is saved.`);
				location.hash = appRoute(saved);
			},
		});
		show(ctx, `Edit ${app.name}`, pageHead(`Edit ${app.name}`, h('span', null, 'Client ID ', code(app.client_id))), h('div', { class: 'lk-panel' }, form));
	}

	/* Views: users ------------------------------------------------------- */

	function userPath(u) {
		return `/users/${encodeURIComponent(u.user)}`;
	}

	// The profile's text members, as the API names them.
	const PROFILE_TEXT = ['email', 'display_name', 'given_name', 'family_name', 'phone_number'];

	/*
	 * The profile fields of a user, as `latchkey user add` takes them
	 * (--email, --email-verified, --name, --given-name, --family-name,
	 * --phone), filled from `u` when it is given. values() reads them as API
	 * members: text trimmed, an empty field as "".
	 */
	function profileFields(u = {}) {
		const text = (type, max, value, extra = {}) =>
			h('input', { type, value: value ?? '', maxlength: String(max), autocomplete: 'off', ...extra });
		const inputs = {
			email: text('email', 254, u.email, { spellcheck: 'false' }),
			display_name: text('text', 200, u.display_name),
			given_name: text('text', 200, u.given_name),
			family_name: text('text', 200, u.family_name),
			phone_number: text('tel', 32, u.phone_number, { inputmode: 'tel' }),
		};
		const verified = checkbox('Email verified', Boolean(u.email_verified), 'The address is known to be the user\u2019s: applications are told so (email_verified).');
		verified.classList.add('lk-check-beside');
		return {
			email: [field('Email', inputs.email), verified],
			names: [field('Display name', inputs.display_name), field('Phone', inputs.phone_number, { hint: 'Digits, spaces and + ( ) - .' }),
				field('Given name', inputs.given_name), field('Family name', inputs.family_name)],
			values() {
				const out = { email_verified: verified.input.checked };
				for (const k of PROFILE_TEXT)
					out[k] = inputs[k].value.trim();
				return out;
			},
		};
	}

	// An edit of a profile: only what differs from `u`; an emptied field clears.
	function profilePatch(u, values) {
		const body = {};
		for (const k of PROFILE_TEXT) {
			if (values[k] !== String(u[k] ?? '').trim())
				body[k] = values[k] === '' ? null : values[k];
		}
		if (values.email_verified !== Boolean(u.email_verified))
			body.email_verified = values.email_verified;
		return body;
	}

	/*
	 * Edits a user's profile in a dialog and saves only what changed.
	 * Resolves to the saved user, or null when nothing was saved.
	 */
	function editUser(u) {
		const profile = profileFields(u);
		return formDialog({
			title: `Edit ${u.user}`,
			lead: 'The profile that applications receive as claims. The role, the password and the account\u2019s state have their own actions.',
			kids: h('div', { class: 'lk-grid' }, profile.email, profile.names),
			confirm: 'Save changes',
			save: async () => {
				const body = profilePatch(u, profile.values());
				if (!Object.keys(body).length)
					throw new Error('Nothing has changed.');
				return api('PATCH', userPath(u), body);
			},
		});
	}

	// After the list is drawn again, focus goes to a row's button.
	function focusRowButton(list, label) {
		const btn = [...list.el.querySelectorAll('button[aria-label]')].find((b) => b.getAttribute('aria-label') === label);
		btn?.focus();
	}

	async function viewUsers(ctx) {
		const once = h('div', { class: 'lk-once-slot' });
		let list = null;
		const showPassword = (who, pw) => {
			once.replaceChildren(h('div', { class: 'lk-panel lk-panel-keys', id: 'lk-password-panel' },
				h('h2', { class: 'lk-panel-title', tabindex: '-1' }, `Password for ${who}`),
				keyField('Password', pw, 'lk-password', { secret: true }), onceNote('password'),
				button('Done', () => once.replaceChildren(), { kind: 'lk-btn-small' })));
			once.querySelector('h2').focus();
		};
		const actions = (u) => h('div', { class: 'lk-rowactions' },
			button('Edit', async () => {
				const saved = await editUser(u);
				if (saved) {
					await act(list, `${u.user} is saved.`, () => null);
					focusRowButton(list, `Edit: ${u.user}`);
				}
			}, { kind: 'lk-btn-small', 'aria-label': `Edit: ${u.user}` }),
			button(u.enabled ? 'Disable' : 'Enable', () => act(list, `${u.user} is ${u.enabled ? 'disabled' : 'enabled'}.`,
				() => api('POST', `${userPath(u)}/${u.enabled ? 'disable' : 'enable'}`)), { kind: 'lk-btn-small', 'aria-label': `${u.enabled ? 'Disable' : 'Enable'}: ${u.user}` }),
			button('Reset password', async () => {
				const ok = await confirmDialog({
					title: `Reset the password of ${u.user}?`,
					body: h('p', null, 'latchkey generates a new password and shows it once. The current password stops working.'),
					confirm: 'Reset password',
				});
				if (ok) {
					await act(list, null, async () => {
						const r = await api('POST', `${userPath(u)}/password`, {});
						showPassword(u.user, r.password);
						announce(`The password of ${u.user} is reset.`);
					});
				}
			}, { kind: 'lk-btn-small', 'aria-label': `Reset password: ${u.user}` }),
			button(u.role === 'admin' ? 'Make user' : 'Make admin', async () => {
				const toAdmin = u.role !== 'admin';
				const ok = await confirmDialog({
					title: toAdmin ? `Make ${u.user} an administrator?` : `Remove administrator rights of ${u.user}?`,
					body: h('p', null, toAdmin ? 'Administrators manage applications, users, scopes and keys, here and through the admin API.' : 'The user keeps their account but can no longer administer latchkey.'),
					confirm: toAdmin ? 'Make administrator' : 'Remove rights',
					danger: !toAdmin,
				});
				if (ok) {
					await act(list, `${u.user} is now ${toAdmin ? 'an administrator' : 'a regular user'}.`,
						() => api('PATCH', userPath(u), { role: toAdmin ? 'admin' : 'user' }));
				}
			}, { kind: 'lk-btn-small lk-btn-quiet', 'aria-label': `${u.role === 'admin' ? 'Make user' : 'Make admin'}: ${u.user}` }),
			button('Delete', async () => {
				const ok = await confirmDialog({
					title: `Delete the user ${u.user}?`,
					body: [h('p', null, 'The account and its profile are removed: the user can no longer sign in. This cannot be undone.'),
						h('p', null, 'latchkey refuses while an application acts as this user; unbind or delete the application first.')],
					confirm: 'Delete user',
					danger: true,
				});
				if (!ok)
					return;
				await act(list, `${u.user} is deleted.`, () => api('DELETE', userPath(u)));
				// Refused: the reason is in the list's alert, next to the rows.
				if (!list.alert.hidden)
					list.alert.scrollIntoView({ block: 'nearest' });
			}, { kind: 'lk-btn-small lk-btn-danger', 'aria-label': `Delete: ${u.user}` }));

		list = listBlock({
			apiPath: '/users',
			route: '/users',
			params: ctx.params,
			caption: 'Users',
			searchLabel: 'Search users',
			placeholder: 'Search by user, email or name',
			emptyText: 'No user yet.',
			columns: [
				{ label: 'User', cell: (u) => code(u.user) },
				{ label: 'Name', cell: (u) => u.display_name || muted('\u2014') },
				{ label: 'Email', cell: (u) => (u.email ? h('span', { class: 'lk-tags' }, u.email, u.email_verified ? tag('verified') : null) : muted('\u2014')) },
				{ label: 'Role', cell: (u) => (u.role === 'admin' ? tag('admin', 'lk-tag-strong') : 'user') },
				{ label: 'Enabled', cell: (u) => badge(u.enabled) },
				{ label: 'Actions', class: 'lk-col-actions', cell: actions },
			],
		});

		// Add a user.
		const alert = alertBox();
		const userName = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', placeholder: 'user or domain\\user', maxlength: '256' });
		const role = select([['user', 'User'], ['admin', 'Administrator']], 'user');
		const profile = profileFields();
		const pw = h('input', { type: 'password', autocomplete: 'new-password', maxlength: '1024' });
		const submit = button('Add user', null, { kind: 'lk-btn-primary', type: 'submit' });
		const details = h('details', { class: 'lk-disclosure' }, h('summary', null, 'Add a user'));
		const form = h('form', {
			class: 'lk-form',
			novalidate: true,
			onsubmit: async (e) => {
				e.preventDefault();
				clearError(alert);
				const body = { user: userName.value.trim(), role: role.value };
				// What is empty stays out, as options not given to the CLI.
				for (const [k, val] of Object.entries(profile.values())) {
					if (val !== '' && val !== false)
						body[k] = val;
				}
				if (pw.value)
					body.password = pw.value;
				submit.disabled = true;
				try {
					const r = await api('POST', '/users', body);
					form.reset();
					details.open = false;
					announce(`${r.user} is added.`);
					await list.load();
					if (r.password)
						showPassword(r.user, r.password);
				} catch (err) {
					showError(alert, err);
				} finally {
					submit.disabled = false;
				}
			},
		},
		h('div', { class: 'lk-grid' },
			field('User name', userName, { required: true, hint: 'user or domain\\user; the default domain is used when none is given.' }),
			field('Role', role),
			profile.email,
			profile.names,
			field('Password', pw, { hint: 'Leave empty to have latchkey generate one, shown once.' })),
		alert,
		h('div', { class: 'lk-formactions' }, submit));
		details.append(form);

		await list.load();
		show(ctx, 'Users', pageHead('Users', 'People who sign in with latchkey, and the users applications act as.'),
			once, h('div', { class: 'lk-panel' }, details), h('div', { class: 'lk-panel lk-panel-flush' }, list.el));
	}

	/* Views: scopes ------------------------------------------------------ */

	async function viewScopes(ctx) {
		let list = null;
		list = listBlock({
			apiPath: '/scopes',
			route: '/scopes',
			params: ctx.params,
			caption: 'Scope catalog',
			searchLabel: 'Search scopes',
			placeholder: 'Search by name or description',
			emptyText: 'The catalog is empty.',
			columns: [
				{ label: 'Scope', cell: (s) => code(s.name) },
				{ label: 'Description', cell: (s) => s.description || muted('\u2014') },
				{ label: 'Kind', cell: (s) => h('span', { class: 'lk-tags' }, s.builtin ? tag('built-in') : tag('custom', 'lk-tag-strong'), s.certificate ? tag('certificate') : null) },
				{
					label: 'Actions',
					class: 'lk-col-actions',
					cell: (s) => (s.builtin ? muted('\u2014') : button('Remove', async () => {
						const ok = await confirmDialog({
							title: `Remove the scope ${s.name}?`,
							body: h('p', null, 'Applications can no longer be given this scope. latchkey refuses while an application still uses it.'),
							confirm: 'Remove scope',
							danger: true,
						});
						if (ok)
							await act(list, `The scope ${s.name} is removed.`, () => api('DELETE', `/scopes/${encodeURIComponent(s.name)}`));
					}, { kind: 'lk-btn-small lk-btn-danger', 'aria-label': `Remove: ${s.name}` })),
				},
			],
		});

		const alert = alertBox();
		const name = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', maxlength: '64', pattern: '[A-Za-z0-9_.:/\\-]+' });
		const description = h('input', { type: 'text', autocomplete: 'off', maxlength: '256' });
		const cert = checkbox('Certificate scope', false, 'Given to client-certificate applications (their scopes are fixed to these).');
		const submit = button('Add scope', null, { kind: 'lk-btn-primary', type: 'submit' });
		const details = h('details', { class: 'lk-disclosure' }, h('summary', null, 'Add a scope'));
		const form = h('form', {
			class: 'lk-form',
			novalidate: true,
			onsubmit: async (e) => {
				e.preventDefault();
				clearError(alert);
				submit.disabled = true;
				try {
					const s = await api('POST', '/scopes', { name: name.value.trim(), description: description.value.trim(), certificate: cert.input.checked });
					form.reset();
					details.open = false;
					announce(`The scope ${s?.name ?? ''} is added.`);
					await list.load();
				} catch (err) {
					showError(alert, err);
				} finally {
					submit.disabled = false;
				}
			},
		},
		h('div', { class: 'lk-grid' },
			field('Name', name, { required: true, hint: '1 to 64 letters, digits and _ . : / -' }),
			field('Description', description, { hint: 'Shown to people on the consent page.' }),
			cert),
		alert,
		h('div', { class: 'lk-formactions' }, submit));
		details.append(form);

		await list.load();
		show(ctx, 'Scopes', pageHead('Scopes', 'The scope catalog: what applications may be allowed to ask for.'),
			h('div', { class: 'lk-panel' }, details), h('div', { class: 'lk-panel lk-panel-flush' }, list.el));
	}

	/* Views: signing keys ------------------------------------------------ */

	async function viewKeys(ctx) {
		const body = h('div');
		const alert = alertBox();
		async function load() {
			const d = await api('GET', '/keys');
			const items = Array.isArray(d?.items) ? d.items : [];
			body.replaceChildren(dataTable('Signing keys', [
				{ label: 'Key ID', class: 'lk-col-id', cell: (k) => code(k.kid) },
				{ label: 'Algorithm', cell: (k) => k.alg },
				{ label: 'State', cell: (k) => tag(k.state, k.state === 'active' ? 'lk-tag-strong' : '') },
				{ label: 'Activates', class: 'lk-col-time', cell: (k) => when(k.activate_at) },
				{ label: 'Retires', class: 'lk-col-time', cell: (k) => when(k.retire_at) },
				{ label: 'Expires', class: 'lk-col-time', cell: (k) => when(k.expire_at) },
			], items, 'No signing key yet.'));
		}
		const alg = select([['', 'Every signing algorithm'], ...SIGNING_ALGS.map((a) => [a, a])], '');
		const now = checkbox('Sign with the new key now', false, 'Skips the publish delay: tokens signed at once may fail at verifiers that cached the old key set.');
		const submit = button('Rotate keys', null, { kind: 'lk-btn-primary', type: 'submit' });
		const form = h('form', {
			class: 'lk-form',
			onsubmit: async (e) => {
				e.preventDefault();
				clearError(alert);
				const ok = await confirmDialog({
					title: 'Rotate the signing keys?',
					body: h('p', null, now.input.checked
						? 'New keys are published and sign from now on. The current keys keep verifying until they retire.'
						: 'New keys are published now and start signing after the publish delay. The current keys keep verifying until they retire.'),
					confirm: 'Rotate keys',
				});
				if (!ok)
					return;
				submit.disabled = true;
				try {
					const b = { now: now.input.checked };
					if (alg.value)
						b.alg = alg.value;
					await api('POST', '/keys/rotate', b);
					announce('The signing keys are rotated.');
					await load();
				} catch (err) {
					showError(alert, err);
				} finally {
					submit.disabled = false;
				}
			},
		},
		h('div', { class: 'lk-inline' }, field('Algorithm', alg), now, submit),
		alert);
		await load();
		show(ctx, 'Signing keys', pageHead('Signing keys', 'The keys that sign tokens, as published in the JWKS.'),
			panel('Rotate', form), h('div', { class: 'lk-panel lk-panel-flush' }, body));
	}

	/* Views: audit log --------------------------------------------------- */

	// A datetime-local value (the browser's time zone) as Unix seconds.
	function unixSeconds(local) {
		const t = new Date(local).getTime();
		return Number.isNaN(t) ? '' : String(Math.floor(t / 1000));
	}

	async function viewAudit(ctx) {
		const p = ctx.params;
		const limit = Math.min(nat(p.get('limit'), 100) || 100, 500);
		const action = h('input', { type: 'text', value: p.get('action') ?? '', autocomplete: 'off', spellcheck: 'false', placeholder: 'app' });
		const actor = h('input', { type: 'text', value: p.get('actor') ?? '', autocomplete: 'off', spellcheck: 'false' });
		const object = h('input', { type: 'text', value: p.get('object') ?? '', autocomplete: 'off', spellcheck: 'false' });
		const since = h('input', { type: 'datetime-local', step: '1' });
		const sinceUnix = /^\d+$/.test(p.get('since') ?? '') ? p.get('since') : '';
		if (sinceUnix) {
			const d = new Date(Number(sinceUnix) * 1000);
			since.value = new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 19);
		}
		const lim = h('input', { type: 'number', min: '1', max: '500', step: '1', value: String(limit), inputmode: 'numeric', class: 'lk-input-short' });
		const form = h('form', {
			class: 'lk-form lk-filters',
			onsubmit: (e) => {
				e.preventDefault();
				location.hash = `#/audit${qs({
					action: action.value.trim(),
					actor: actor.value.trim(),
					object: object.value.trim(),
					since: since.value ? unixSeconds(since.value) : '',
					limit: lim.value && lim.value !== '100' ? lim.value : '',
				})}`;
			},
		},
		h('div', { class: 'lk-grid lk-grid-5' },
			field('Action', action, { hint: 'Starts with, e.g. app or app.add' }), field('Actor', actor), field('Object', object, { hint: 'Client ID, user or scope' }),
			field('Since', since), field('At most', lim)),
		h('div', { class: 'lk-formactions' }, button('Filter', null, { type: 'submit', kind: 'lk-btn-primary' }), linkButton('#/audit', 'Clear', 'lk-btn-quiet')));

		const d = await api('GET', `/audit${qs({ limit, action: p.get('action'), actor: p.get('actor'), object: p.get('object'), since: sinceUnix })}`);
		const items = Array.isArray(d?.items) ? d.items : [];
		const table = dataTable('Audit log, newest first', [
			{ label: 'Time', class: 'lk-col-time', cell: (e) => when(e.at, 'medium') },
			{ label: 'Actor', cell: (e) => code(e.actor) },
			{ label: 'Action', cell: (e) => tag(e.action) },
			{ label: 'Object', cell: (e) => [muted(`${e.object_type} `), code(e.object_id)] },
			{ label: 'Detail', class: 'lk-col-detail', cell: (e) => e.detail || muted('\u2014') },
		], items, 'No entry matches.');
		show(ctx, 'Audit log', pageHead('Audit log', 'Every change, newest first: who did what to which object.'),
			panel('Filters', form),
			h('div', { class: 'lk-panel lk-panel-flush' }, h('p', { class: 'lk-muted lk-count' }, `${items.length} entr${items.length === 1 ? 'y' : 'ies'}`), table));
	}

	/* Routing ------------------------------------------------------------ */

	const ROUTES = [
		[/^\/apps\/?$/, viewApps, 'apps'],
		[/^\/apps\/new$/, viewAppNew, 'apps'],
		[/^\/apps\/([^/]+)\/edit$/, viewAppEdit, 'apps'],
		[/^\/apps\/([^/]+)$/, viewApp, 'apps'],
		[/^\/users\/?$/, viewUsers, 'users'],
		[/^\/scopes\/?$/, viewScopes, 'scopes'],
		[/^\/keys\/?$/, viewKeys, 'keys'],
		[/^\/audit\/?$/, viewAudit, 'audit'],
	];

	function parseHash() {
		const raw = location.hash.startsWith('#/') ? location.hash.slice(1) : '/apps';
		const i = raw.indexOf('?');
		const path = i < 0 ? raw : raw.slice(0, i);
		return { path, params: new URLSearchParams(i < 0 ? '' : raw.slice(i + 1)) };
	}

	async function route() {
		// Fragments that are not routes (the skip link) leave the view alone.
		if (location.hash && !location.hash.startsWith('#/'))
			return;
		const { path, params } = parseHash();
		const seq = ++state.renderSeq;
		let view = null;
		let match = null;
		let section = '';
		for (const [re, fn, sec] of ROUTES) {
			const m = re.exec(path);
			if (m) {
				try {
					match = m.map((s, n) => (n ? decodeURIComponent(s) : s));
					view = fn;
				} catch { /* a malformed escape: no such page */ }
				section = sec;
				break;
			}
		}
		for (const a of document.querySelectorAll('.lk-nav a')) {
			if (a.dataset.section === section)
				a.setAttribute('aria-current', 'page');
			else
				a.removeAttribute('aria-current');
		}
		const ctx = { seq, params, match };
		main().setAttribute('aria-busy', 'true');
		try {
			if (!view) {
				show(ctx, 'Not found', pageHead('Not found', 'There is no such page in the console.', linkButton('#/apps', 'Go to the applications')));
				return;
			}
			await view(ctx);
		} catch (e) {
			const alert = alertBox();
			showError(alert, e);
			show(ctx, 'Error', pageHead(e.status === 404 ? 'Not found' : 'Something went wrong'), alert,
				h('p', null, linkButton('#/apps', 'Back to the applications')));
		} finally {
			if (seq === state.renderSeq)
				main().removeAttribute('aria-busy');
		}
	}

	async function start() {
		const skip = document.getElementById('lk-skip');
		skip?.addEventListener('click', (e) => {
			e.preventDefault();
			main().focus();
		});
		try {
			await loadSession();
		} catch (e) {
			if (e.status === 401)
				sessionEnded();
			const alert = alertBox();
			showError(alert, e);
			main().replaceChildren(pageHead('The console cannot start'), alert);
			return;
		}
		const who = state.session?.user?.user;
		const nameEl = document.querySelector('.lk-account-name');
		if (who && nameEl)
			nameEl.textContent = who;
		window.addEventListener('hashchange', () => route());
		// A link to the page already shown draws it again (no hashchange).
		document.addEventListener('click', (e) => {
			const a = e.target instanceof Element ? e.target.closest('a[href^="#/"]') : null;
			if (a && a.getAttribute('href') === location.hash && !e.defaultPrevented)
				route();
		});
		if (!location.hash.startsWith('#/'))
			history.replaceState(null, '', '#/apps');
		await route();
	}

	if (document.readyState === 'loading')
		document.addEventListener('DOMContentLoaded', start);
	else
		start();
})();
