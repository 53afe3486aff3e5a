// desk.mjs - the web desk in a real Chromium (issue 10, item 6), against
// a running `fsrelay web` (tests/integration/browser.sh starts it).
// Env: FSRELAY_TEST_WEB_URL (ending in /), FSRELAY_TEST_WEB_PASSWORD,
// FSRELAY_TEST_AGENT, FSRELAY_TEST_AGENT2, FSRELAY_TEST_OUTPUT (screenshots).
// Every page: a screenshot NAME.png and axe-core with no serious or
// critical violation.
import { check, is, done, launch, snap } from './lib.mjs';

const base = process.env.FSRELAY_TEST_WEB_URL;
const pw = process.env.FSRELAY_TEST_WEB_PASSWORD;
const agent = process.env.FSRELAY_TEST_AGENT || 'agent1';
const agent2 = process.env.FSRELAY_TEST_AGENT2 || 'agent2';
if (!base || !pw) {
	console.error('desk.mjs: FSRELAY_TEST_WEB_URL and FSRELAY_TEST_WEB_PASSWORD needed');
	process.exit(2);
}

async function login(page, id, pass) {
	await page.goto(base + 'connexion');
	await page.getByLabel('Identifiant').fill(id);
	await page.getByLabel('Mot de passe').fill(pass);
	const [resp] = await Promise.all([
		page.waitForNavigation(),
		page.getByRole('button', { name: 'Se connecter' }).click(),
	]);
	return resp;
}

const b = await launch();
let code = 1;
try {
	const ctx = b.ctx;
	const page = ctx.pages()[0] || await ctx.newPage();
	const scripts = [];
	// console errors other than the HTTP statuses the test asks for
	page.on('console', m => {
		if (m.type() === 'error' && !m.text().startsWith('Failed to load resource'))
			scripts.push(m.text());
	});

	// the login page, its headers
	const r0 = await page.goto(base + 'connexion');
	is(r0.status(), 200, 'GET /connexion');
	const csp = r0.headers()['content-security-policy'] || '';
	check(csp.includes("default-src 'none'") && csp.includes("frame-ancestors 'none'") &&
	    !csp.includes('unsafe-inline'), `CSP stricte : ${csp}`);
	is(r0.headers()['x-content-type-options'], 'nosniff', 'nosniff');
	is(r0.headers()['referrer-policy'], 'no-referrer', 'Referrer-Policy');
	is(await page.getAttribute('html', 'lang'), 'fr', 'lang="fr"');
	// the CSP is enforced: an inline script injected into the page never runs
	await page.addScriptTag({ content: 'window.fsrelayInline = 1;' }).catch(() => {});
	is(await page.evaluate(() => window.fsrelayInline), undefined, 'script en ligne bloqué par la CSP');
	check(scripts.some(t => t.includes('Content Security Policy')), 'la violation de CSP est signalée');
	scripts.length = 0;
	await snap(page, 'connexion');

	// keyboard: the skip link comes first, then the fields
	await page.keyboard.press('Tab');
	is(await page.evaluate(() => document.activeElement.textContent), 'Aller au contenu',
	    'premier arrêt du clavier : lien d\'évitement');

	// a wrong password: the error is tied to the fields
	const rbad = await login(page, agent, 'pas-le-bon-mot-de-passe');
	is(rbad.status(), 401, 'mauvais mot de passe : 401');
	check(await page.getByRole('alert').textContent().then(t => t.includes('incorrect')),
	    'message d\'erreur annoncé (role=alert)');
	is(await page.getByLabel('Identifiant').getAttribute('aria-describedby'), 'erreur-connexion',
	    'erreur liée au champ');
	await snap(page, 'connexion-erreur');

	// a good login: the session cookie and its flags
	const rok = await login(page, agent, pw);
	is(rok.status(), 200, 'connexion : page d\'accueil');
	is(new URL(page.url()).pathname, '/', 'renvoi vers /');
	const cookies = await ctx.cookies();
	const sc = cookies.find(c => c.name === '__Host-fsrelay');
	check(sc, 'cookie __Host-fsrelay posé');
	if (sc) {
		check(sc.httpOnly, 'cookie HttpOnly');
		check(sc.secure, 'cookie Secure');
		is(sc.sameSite, 'Strict', 'cookie SameSite');
		is(sc.path, '/', 'cookie Path');
		is(sc.value.length, 64, 'jeton de 256 bits');
	}
	is(await page.evaluate(() => document.cookie), '', 'cookie invisible au JavaScript');
	is(rok.headers()['cache-control'], 'no-store', 'no-store');
	check((await page.textContent('main')).includes('Agent Un'), 'accueil : le nom de l\'agent');
	await snap(page, 'accueil-agent');

	// « Mes dossiers »: the list, its filters
	await page.getByRole('navigation').getByRole('link', { name: 'Mes dossiers' }).click();
	await page.waitForURL(base + 'dossiers');
	is(await page.locator('tbody tr').count(), 2, 'mes dossiers : 2 dossiers');
	check(!(await page.textContent('main')).includes('Quibrante'), 'aucun nom en clair dans la liste');
	await snap(page, 'dossiers');
	await page.getByLabel('État').selectOption('resolved');
	await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Filtrer' }).click()]);
	is(new URL(page.url()).search, '?etat=resolved', 'filtre par état dans l\'URL (valeur fermée)');
	is(await page.locator('tbody tr').count(), 0, 'aucun dossier résolu');

	// a state change without CSRF: 403, nothing done (still logged in)
	const r403 = await page.request.post(base + 'deconnexion', { form: {}, maxRedirects: 0 });
	is(r403.status(), 403, 'POST /deconnexion sans CSRF : 403');
	const again = await page.goto(base);
	is(new URL(page.url()).pathname, '/', 'toujours connecté après le refus');
	is(again.status(), 200, 'accueil 200');

	// logout through the form (with its CSRF field)
	await Promise.all([page.waitForNavigation(),
		page.getByRole('button', { name: 'Se déconnecter' }).click()]);
	is(new URL(page.url()).pathname, '/connexion', 'déconnexion : retour à /connexion');
	await page.goto(base);
	is(new URL(page.url()).pathname, '/connexion', 'après déconnexion, / renvoie à /connexion');

	// the administrator: the accounts page, a role changed through its form
	const admin = process.env.FSRELAY_TEST_ADMIN || 'admin';
	const dpo = process.env.FSRELAY_TEST_DPO || 'dpo';
	await login(page, admin, pw);
	check(await page.getByRole('link', { name: 'Agents' }).count() > 0, 'menu admin : Agents');
	is(await page.getByRole('link', { name: 'Registre des violations' }).count(), 0,
	    'menu admin : pas de registre');
	await page.getByRole('navigation').getByRole('link', { name: 'Agents' }).click();
	await page.waitForURL(base + 'agents');
	is(await page.textContent('h1'), 'Agents', 'page Agents');
	const row2 = page.locator('tr', { has: page.locator('td', { hasText: /^agent2$/ }) });
	await row2.locator('summary').click();
	await snap(page, 'agents');
	await row2.getByLabel('Rôle').selectOption('responsable');
	await Promise.all([page.waitForNavigation(),
		row2.getByRole('button', { name: 'Changer le rôle' }).click()]);
	check((await page.getByRole('status').first().textContent()).includes('Le rôle a été changé'),
	    'rôle changé : message');
	check((await row2.textContent()).includes('Responsable de structure'), 'agent2 : responsable');
	await row2.locator('summary').click();
	await row2.getByLabel('Rôle').selectOption('agent');
	await Promise.all([page.waitForNavigation(),
		row2.getByRole('button', { name: 'Changer le rôle' }).click()]);
	check((await row2.textContent()).includes('Agent'), 'agent2 : agent de nouveau');
	// a refusal on one's own account, announced
	const rowa = page.locator('tr', { has: page.locator('td', { hasText: /^admin$/ }) });
	await rowa.locator('summary').click();
	await Promise.all([page.waitForNavigation(),
		rowa.getByRole('button', { name: 'Désactiver le compte' }).click()]);
	check((await page.getByRole('alert').textContent()).includes('propre compte'),
	    'désactiver son propre compte : refus annoncé');
	await snap(page, 'agents-refus');
	await Promise.all([page.waitForNavigation(),
		page.getByRole('button', { name: 'Se déconnecter' }).click()]);

	// the structure manager: the report, its chart and its CSV
	const manager = process.env.FSRELAY_TEST_MANAGER || 'responsable';
	await login(page, manager, pw);
	await page.getByRole('navigation').getByRole('link', { name: 'Rapport trimestriel' }).click();
	await page.waitForURL(base + 'rapport');
	is(await page.textContent('h1'), 'Rapport trimestriel 2026-T1', 'rapport du trimestre en cours');
	check(await page.getByRole('img', { name: /Dossiers transmis par partenaire/ }).count() === 1,
	    'graphique SVG nommé');
	check((await page.locator('tbody tr').last().textContent()).startsWith('Total2'),
	    'total : 2 dossiers');
	await snap(page, 'rapport');
	const [csv] = await Promise.all([page.waitForEvent('download'),
		page.getByRole('link', { name: 'Télécharger le tableau (CSV)' }).click()]);
	is(csv.suggestedFilename(), 'rapport-2026-T1.csv', 'CSV du rapport');
	// (the browser's own pattern check keeps such a form: ask the server)
	const bad = await page.goto(base + 'rapport?trimestre=2026-T9');
	is(bad.status(), 400, 'trimestre invalide : 400');
	is(await page.getByLabel(/Trimestre/).getAttribute('aria-describedby'), 'erreur-trimestre',
	    'erreur liée au champ');
	await Promise.all([page.waitForNavigation(),
		page.getByRole('button', { name: 'Se déconnecter' }).click()]);

	// the DPO: the register with its live countdown, an entry, the journal
	await page.clock.install();
	await login(page, dpo, pw);
	is(await page.getByRole('link', { name: 'Agents' }).count(), 0, 'menu DPO : pas d\'Agents');
	await page.getByRole('navigation').getByRole('link', { name: 'Registre des violations' }).click();
	await page.waitForURL(base + 'violations');
	const cd = page.locator('[data-remaining]').first();
	const before = await cd.textContent();
	check(/^reste \d+ (j|h)/.test(before), `compte à rebours : ${before}`);
	await snap(page, 'violations');
	await page.clock.fastForward(2 * 3600 * 1000);
	const after = await cd.textContent();
	check(after !== before && after.startsWith('reste '), `compte à rebours vivant : ${before} → ${after}`);
	await page.getByRole('link', { name: 'n° 1' }).click();
	await page.waitForURL(base + 'violations/1');
	is(await page.textContent('h1'), 'Violation n° 1', 'page d\'une violation');
	await snap(page, 'violation');
	await page.getByRole('navigation').getByRole('link', { name: 'Journal d\'audit' }).click();
	await page.waitForURL(base + 'journal');
	check((await page.textContent('main')).includes('Journal intact.'), 'journal vérifié intact');
	await snap(page, 'journal');
	await page.getByLabel('Du (inclus)').fill('2026-03-01');
	await page.getByLabel('Au (inclus)').fill('2026-03-31');
	const [dl] = await Promise.all([page.waitForEvent('download'),
		page.getByRole('button', { name: 'Télécharger' }).click()]);
	check(/^journal-audit-2026-03-01-2026-03-31\.jsonl$/.test(dl.suggestedFilename()),
	    `export du journal : ${dl.suggestedFilename()}`);
	await Promise.all([page.waitForNavigation(),
		page.getByRole('button', { name: 'Se déconnecter' }).click()]);

	// lockout after 5 failures (agent2)
	let last;
	for (let i = 0; i < 5; i++)
		last = await login(page, agent2, 'faux-mot-de-passe-' + i);
	is(last.status(), 429, '5e échec : 429');
	check((await page.getByRole('alert').textContent()).includes('15 minutes'),
	    'message de blocage en français');
	await snap(page, 'connexion-bloquee');
	const lr = await login(page, agent2, pw);
	is(lr.status(), 429, 'bon mot de passe pendant le blocage : 429');

	check(scripts.length === 0, `aucune erreur dans la console : ${scripts.join(' | ')}`);
	code = done();
} catch (e) {
	console.error('FAIL: exception', e);
	code = done() || 1;
} finally {
	await b.close();
}
process.exit(code);
