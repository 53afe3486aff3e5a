// lib.mjs - what the browser tests share: Debian's Chromium through
// playwright-core (no downloaded browser), axe-core injected from
// node_modules, counting checks that end with "N passed, N failed".
import { chromium } from 'playwright-core';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

let passed = 0, failed = 0;

export function check(cond, what) {
	if (cond)
		passed++;
	else {
		failed++;
		console.error(`FAIL: ${what}`);
	}
	return !!cond;
}

export function is(got, want, what) {
	return check(got === want, `${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
}

export function done() {
	console.log(`${passed} passed, ${failed} failed`);
	return failed === 0 ? 0 : 1;
}

export async function launch() {
	const profile = mkdtempSync(join(tmpdir(), 'fsrelay-chromium-'));
	// A fresh --user-data-dir (playwright passes it for a persistent context).
	const ctx = await chromium.launchPersistentContext(profile, {
		executablePath: '/usr/bin/chromium',
		headless: true,
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
			'--no-first-run', '--disable-background-networking',
			'--disable-component-update', '--disable-sync'],
		ignoreHTTPSErrors: true,
		locale: 'fr-FR',
		// The browser's own language (the native date picker's
		// jj/mm/aaaa, its field names) comes on Linux from the
		// environment, not from lang="fr" nor --lang, and needs
		// Debian's chromium-l10n (docs/web.md, « Dates »).
		env: { ...process.env, LANGUAGE: 'fr' },
	});
	return {
		ctx,
		async close() {
			await ctx.close();
			rmSync(profile, { recursive: true, force: true });
		},
	};
}

// Run axe-core on the page: the violations of impact serious or critical.
export async function axe(page) {
	// The page's CSP (script-src 'self') refuses an inline tag: evaluate
	// through the DevTools protocol instead, which CSP does not govern.
	if (!(await page.evaluate(() => typeof globalThis.axe === 'object')))
		await page.evaluate(axeSource);
	const res = await page.evaluate(async () =>
		await globalThis.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] }));
	return res.violations.filter(v => v.impact === 'serious' || v.impact === 'critical');
}

// Log in through the form; the response of the page it leads to.
export async function login(page, base, id, pass) {
	await page.goto(base + 'connexion');
	await page.getByLabel('Identifiant').fill(id);
	await page.getByLabel('Mot de passe').fill(pass);
	const [resp] = await Promise.all([
		page.waitForNavigation(),
		page.getByRole('button', { name: 'Se connecter' }).click(),
	]);
	return resp;
}

// Submit through the button named name; the response of the next page.
export async function submit(page, scope, name) {
	const [resp] = await Promise.all([page.waitForNavigation(),
		scope.getByRole('button', { name }).click()]);
	return resp;
}

// The names of the parts of the page's native date inputs, in order, as
// the browser exposes them (["Jour", "Mois", "Année", ...] in French).
export async function dateParts(page) {
	const cdp = await page.context().newCDPSession(page);
	const { nodes } = await cdp.send('Accessibility.getFullAXTree');
	await cdp.detach();
	return nodes.filter(n => n.role && n.role.value === 'spinbutton')
	    .map(n => String(n.name && n.name.value).split(' ')[0]);
}

export function outDir() {
	const d = process.env.FSRELAY_TEST_OUTPUT || 'build/test-output/browser';
	mkdirSync(d, { recursive: true });
	return d;
}

// Screenshot the page as NAME.png in the output dir, run axe on it, check
// it finds nothing serious or critical.  Returns the file name.
export async function snap(page, name) {
	const file = join(outDir(), `${name}.png`);
	await page.screenshot({ path: file, fullPage: true });
	const v = await axe(page);
	check(v.length === 0, `axe-core sur ${name} : ${v.map(x => `${x.id} (${x.impact}) ${x.nodes.map(n => n.target.join(' ')).join(', ')}`).join('; ')}`);
	return file;
}
