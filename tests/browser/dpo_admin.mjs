// dpo_admin.mjs - the DPO's and the administrator's forms in a real
// Chromium (issue 10, point 4), against a running `fsrelay web`
// (tests/integration/browser_dpo_admin.sh starts it at 2026-03-02 09:00 UTC).
// The DPO declares a breach and notifies it to the CNIL through the forms
// (confirmation box, the server's refusal shown beside its field); the
// date inputs of the journal are French (jj/mm/aaaa).  The administrator
// creates an account (a refusal beside its field first) and pins a
// referent's key through the fingerprint's confirmation.  Every page: a
// screenshot NAME.png and axe-core with no serious or critical violation.
// Env: FSRELAY_TEST_WEB_URL, FSRELAY_TEST_WEB_PASSWORD, FSRELAY_TEST_OUTPUT,
// FSRELAY_TEST_PIN_KEY (an age recipient to pin).
import { check, is, done, launch, login, snap, submit, dateParts } from './lib.mjs';

const base = process.env.FSRELAY_TEST_WEB_URL;
const pw = process.env.FSRELAY_TEST_WEB_PASSWORD;
const dpo = process.env.FSRELAY_TEST_DPO || 'dpo';
if (!base || !pw) {
	console.error('dpo_admin.mjs: FSRELAY_TEST_WEB_URL and FSRELAY_TEST_WEB_PASSWORD needed');
	process.exit(2);
}

const b = await launch();
let code = 1;
try {
	const page = b.ctx.pages()[0] || await b.ctx.newPage();
	const errors = [];
	page.on('console', m => {
		if (m.type() === 'error' && !m.text().startsWith('Failed to load resource'))
			errors.push(m.text());
	});

	// --- the DPO declares a breach -------------------------------------------
	await login(page, base, dpo, pw);
	await page.goto(base + 'violations');
	const decl = page.locator('section', { has: page.getByRole('heading', { name: 'Déclarer une violation' }) });
	await decl.getByLabel(/confidentialité/).check();
	await decl.getByLabel(/Faits/).fill('Dossier papier oublié au guichet (test navigateur)');
	await decl.getByLabel('Prise de connaissance').fill('2026-03-02T09:30');
	await decl.getByLabel('Niveau de risque').selectOption('risk');
	await snap(page, 'violation-declarer');
	// without the confirmation box the browser keeps the form
	await decl.getByRole('button', { name: 'Déclarer' }).click();
	is(new URL(page.url()).pathname, '/violations', 'sans confirmation : rien n\'est envoyé');
	await decl.getByLabel(/Je confirme la déclaration/).check();
	let r = await submit(page, decl, 'Déclarer');
	is(r.status(), 200, 'déclaration : page de l\'entrée');
	is(new URL(page.url()).pathname, '/violations/1', 'déclaration : entrée n° 1');
	check((await page.getByRole('status').first().textContent()).includes('inscrite au registre'),
	    'déclaration : message de réussite');
	check((await page.textContent('main')).includes('Dossier papier oublié'), 'les faits déclarés');
	check(/^reste 2 j 2[23] h$/.test(await page.locator('[data-remaining]').first().textContent()),
	    'compte à rebours depuis la prise de connaissance');

	// a refusal of the core, beside its field (a date in the future)
	await page.locator('summary', { hasText: 'Évaluer ou corriger' }).click();
	const ev = page.locator('section', { has: page.getByRole('heading', { name: 'Évaluer ou corriger' }) });
	await ev.getByLabel('Prise de connaissance').fill('2026-03-02T23:00');
	await ev.getByLabel(/Je confirme cette évaluation/).check();
	r = await submit(page, ev, 'Enregistrer l\'évaluation');
	is(r.status(), 400, 'date dans le futur : 400');
	const aware = ev.getByLabel('Prise de connaissance');
	is(await aware.getAttribute('aria-invalid'), 'true', 'champ marqué invalide');
	const ids = (await aware.getAttribute('aria-describedby')) || '';
	check(ids.includes('erreur-evaluer-prise_de_connaissance'), `erreur liée au champ : ${ids}`);
	check((await page.locator('#erreur-evaluer-prise_de_connaissance').textContent())
	    .includes('date dans le futur'), 'la raison du cœur, en français');
	check((await page.getByRole('alert').first().textContent()).startsWith('Rien n\'a été fait'),
	    'refus annoncé (role=alert)');
	await snap(page, 'violation-erreur');

	// --- the DPO notifies the CNIL ------------------------------------------------
	await page.goto(base + 'violations/1');
	const nt = page.locator('section', { has: page.getByRole('heading', { name: /Notification à la CNIL/ }) });
	await nt.getByLabel(/Référence donnée par la CNIL/).fill('CNIL-NAV-0001');
	await nt.getByLabel(/Je confirme avoir notifié/).check();
	r = await submit(page, nt, 'Enregistrer la notification');
	is(r.status(), 200, 'notification : page de l\'entrée');
	check((await page.getByRole('status').first().textContent()).includes('notification à la CNIL est enregistrée'),
	    'notification : message de réussite');
	check((await page.textContent('main')).includes('notifiée à la CNIL'), 'statut : notifiée');
	check((await page.textContent('main')).includes('CNIL-NAV-0001'), 'référence CNIL affichée');
	await snap(page, 'violation-notifiee');

	// --- the journal's date inputs are French ------------------------------------
	await page.goto(base + 'journal');
	const parts = await dateParts(page);
	is(parts.slice(0, 3).join(' '), 'Jour Mois Année',
	    'champ de date natif : jj/mm/aaaa (langue du navigateur)');
	await snap(page, 'journal-dates');

	// --- the administrator creates an account, pins a referent's key -------------
	await page.getByRole('button', { name: /Se déconnecter/ }).click();
	await page.waitForURL(/connexion/);
	await login(page, base, 'admin', pw);
	await page.goto(base + 'agents');
	const add = page.locator('section', { has: page.getByRole('heading', { name: 'Créer un compte' }) });
	await add.getByLabel('Identifiant').fill('Claire Nouvelle');
	await add.getByLabel('Nom et prénom').fill('Claire Nouvelle');
	await add.getByLabel('Adresse électronique').fill('claire@fs-fontenay.test');
	await add.getByLabel('Structure').selectOption('fontenay-aux-roses');
	r = await submit(page, add, 'Créer le compte');
	is(r.status(), 400, 'identifiant invalide : 400');
	const idf = page.locator('#nouveau-identifiant');
	is(await idf.getAttribute('aria-invalid'), 'true', 'identifiant marqué invalide');
	check(((await idf.getAttribute('aria-describedby')) || '').includes('erreur-nouveau-identifiant'),
	    'erreur liée au champ identifiant');
	check((await page.locator('#erreur-nouveau-identifiant').textContent()).startsWith('Identifiant invalide'),
	    'la raison du cœur, à côté du champ');
	is(await page.locator('#nouveau-nom').inputValue(), 'Claire Nouvelle', 'le nom saisi est gardé');
	await snap(page, 'agents-creer-erreur');
	await idf.fill('claire.nouvelle');
	r = await submit(page, add, 'Créer le compte');
	is(r.status(), 200, 'compte créé : la liste');
	is(new URL(page.url()).search, '?fait=ajouter', 'compte créé : message');
	check((await page.textContent('main')).includes('claire.nouvelle'), 'le compte est dans la liste');
	await snap(page, 'agents-cree');

	await page.getByRole('link', { name: 'Annuaire' }).click();
	await page.waitForURL(/annuaire/);
	check((await page.textContent('main')).includes('Couverture de l\'annuaire'), 'annuaire : couverture');
	await snap(page, 'annuaire');
	const pin = process.env.FSRELAY_TEST_PIN_KEY;
	const sum = page.locator('summary', { hasText: 'Remplacer la clé' }).first();
	await sum.click();
	const form = page.locator('details[open] form');
	await form.getByLabel(/Clé publique age/).fill(pin);
	await form.getByLabel(/Empreinte vérifiée par/).fill('Camille, par téléphone (navigateur)');
	r = await submit(page, form, 'Voir l\'empreinte avant d\'épingler');
	is(r.status(), 200, 'épinglage : la page de l\'empreinte');
	const fp = (await page.locator('p.notice code').textContent()).trim();
	check(/^SHA256:[0-9a-f]{64}$/.test(fp), `empreinte affichée : ${fp}`);
	await snap(page, 'annuaire-empreinte');
	await page.getByLabel(/Je confirme que le référent a reconnu cette empreinte/).check();
	r = await submit(page, page.locator('main'), 'Épingler la clé');
	is(r.status(), 200, 'clé épinglée : l\'annuaire');
	check((await page.getByRole('status').first().textContent()).includes('La clé est épinglée'),
	    'clé épinglée : message');
	check((await page.textContent('main')).includes(fp), 'l\'empreinte est dans la liste');
	await snap(page, 'annuaire-epinglee');

	check(errors.length === 0, `aucune erreur dans la console : ${errors.join(' | ')}`);
	code = done();
} catch (e) {
	console.error('FAIL: exception', e);
	code = done() || 1;
} finally {
	await b.close();
}
process.exit(code);
