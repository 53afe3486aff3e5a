// case.mjs - the agent's case pages in a real Chromium (issue 10, point 4),
// against a running `fsrelay web` (tests/integration/browsercase.sh starts
// it, with case FSRELAY_TEST_CASE answered by the CAF referent and a
// stranger's mail about it in quarantine).
// Env: FSRELAY_TEST_WEB_URL (ending in /), FSRELAY_TEST_WEB_PASSWORD,
// FSRELAY_TEST_CASE, FSRELAY_TEST_OUTPUT (screenshots).
// Every page: a screenshot NAME.png and axe-core with no serious or
// critical violation.
import { check, is, done, launch, snap } from './lib.mjs';

const base = process.env.FSRELAY_TEST_WEB_URL;
const pw = process.env.FSRELAY_TEST_WEB_PASSWORD;
const ref = process.env.FSRELAY_TEST_CASE;
if (!base || !pw || !ref) {
	console.error('case.mjs: FSRELAY_TEST_WEB_URL, FSRELAY_TEST_WEB_PASSWORD, FSRELAY_TEST_CASE needed');
	process.exit(2);
}

async function login(page, id) {
	await page.goto(base + 'connexion');
	await page.getByLabel('Identifiant').fill(id);
	await page.getByLabel('Mot de passe').fill(pw);
	await Promise.all([page.waitForNavigation(),
		page.getByRole('button', { name: 'Se connecter' }).click()]);
}

async function submit(page, name) {
	const [resp] = await Promise.all([page.waitForNavigation(),
		page.getByRole('button', { name, exact: true }).click()]);
	return resp;
}

const b = await launch();
let code = 1;
try {
	const page = b.ctx.pages()[0] || await b.ctx.newPage();
	await login(page, 'agent1');

	// « Nouveau dossier »: France Travail greyed and said; a refusal beside
	// its field; then a case with a piece
	await page.getByRole('navigation').getByRole('link', { name: 'Nouveau dossier' }).click();
	await page.waitForURL(base + 'dossiers/nouveau');
	is(await page.textContent('h1'), 'Nouveau dossier', 'page Nouveau dossier');
	check(await page.locator('option[value="pole-emploi:emploi"]').isDisabled(),
	    'France Travail grisé pour Fontenay');
	check((await page.getByRole('status').first().textContent()).includes('France Travail'),
	    'France Travail dit avant l\'envoi');
	await snap(page, 'nouveau-dossier');
	await page.getByLabel('Partenaire et motif').selectOption('caf:logement');
	await page.getByLabel('Nom de l\'usager', { exact: true }).fill('Vautrin-Lebel');
	await page.getByLabel('Prénom de l\'usager').fill('Aurélie');
	await page.getByLabel('Date de signature du mandat').fill('2024-01-10');
	await page.getByLabel('Description de la situation').fill('Aide au logement suspendue depuis février.');
	let r = await submit(page, 'Créer et transmettre le dossier');
	is(r.status(), 400, 'mandat expiré : 400');
	const mandate = page.getByLabel('Date de signature du mandat');
	is(await mandate.getAttribute('aria-invalid'), 'true', 'champ du mandat marqué invalide');
	check((await mandate.getAttribute('aria-describedby')).includes('erreur-mandat_signe_le'),
	    'erreur liée au champ du mandat');
	check((await page.locator('#erreur-mandat_signe_le').textContent()).includes('expiré'),
	    'la raison : expiré');
	is(await page.getByLabel('Nom de l\'usager', { exact: true }).inputValue(), 'Vautrin-Lebel', 'nom gardé');
	await snap(page, 'nouveau-dossier-erreur');
	await mandate.fill('2026-01-20');
	await page.getByLabel('Pièces jointes (facultatives)').setInputFiles({
		name: 'avis d\'imposition.pdf', mimeType: 'application/pdf',
		buffer: Buffer.from('%PDF-1.4 avis de test\n') });
	r = await submit(page, 'Créer et transmettre le dossier');
	is(r.status(), 200, 'dossier créé : sa page');
	const created = new URL(page.url()).pathname.replace('/dossiers/', '');
	check(/^FS-\d{5}-\d{4}-\d{6}$/.test(created), `référence du nouveau dossier : ${created}`);
	check((await page.textContent('h1')).includes(created), 'la référence en titre');
	check((await page.getByRole('status').first().textContent()).includes('Le dossier est créé'),
	    'message de réussite');
	await snap(page, 'dossier-cree');

	// the answered case: thread, folded history, piece, actions
	const rc = await page.goto(base + 'dossiers/' + ref);
	is(rc.status(), 200, 'page du dossier');
	is(rc.headers()['cache-control'], 'no-store', 'dossier : no-store');
	check((await page.textContent('main')).includes('Ornella Quibrante-Zed'), 'la personne');
	const reply = page.locator('article', { hasText: 'Réponse reçue' });
	is(await reply.count(), 1, 'la réponse du référent dans le fil');
	const folded = reply.locator('details');
	check(!(await folded.evaluate(d => d.open)), 'historique replié par défaut');
	await folded.locator('summary').click();
	check(await folded.evaluate(d => d.open), 'historique déplié au clic');
	const [dl] = await Promise.all([page.waitForEvent('download'),
		page.getByRole('link', { name: 'attestation.pdf' }).click()]);
	is(dl.suggestedFilename(), 'attestation.pdf', 'pièce téléchargée sous son nom');
	await snap(page, 'dossier');

	// a follow-up: the box to tick, then done
	await page.getByLabel('Texte de la relance').fill('Voici le justificatif demandé.');
	await page.getByLabel(/Je confirme l'envoi/).check();
	r = await submit(page, 'Envoyer la relance');
	is(r.status(), 200, 'relance envoyée');
	check((await page.getByRole('status').first().textContent()).includes('La relance est enregistrée'),
	    'relance : message');
	is(await page.locator('article', { hasText: 'Complément envoyé' }).count(), 1,
	    'complément dans le fil');
	await snap(page, 'dossier-relance');

	// close: the confirmation page, then done
	await page.getByLabel('Résolution (obligatoire)').fill('Droits rétablis');
	r = await submit(page, 'Clore le dossier');
	is(r.status(), 200, 'confirmation de la clôture');
	check((await page.textContent('h1')).startsWith('Confirmer'), 'page de confirmation');
	await snap(page, 'dossier-confirmation');
	r = await submit(page, 'Clore le dossier');
	check((await page.getByRole('status').first().textContent()).includes('Le dossier est clos'),
	    'dossier clos : message');
	check((await page.textContent('main')).includes('résolu'), 'état : résolu');

	// the quarantine: the list, a mail, assigned to the new case
	await page.getByRole('navigation').getByRole('link', { name: 'Quarantaine' }).click();
	await page.waitForURL(base + 'quarantaine');
	check((await page.textContent('main')).includes('inconnu@example.org'), 'quarantaine : l\'inconnu');
	await snap(page, 'quarantaine');
	await Promise.all([page.waitForNavigation(), page.locator('tbody a').first().click()]);
	check((await page.textContent('main')).includes('Strangerword'), 'le courriel déchiffré');
	await snap(page, 'quarantaine-courriel');
	await page.getByLabel('Référence du dossier').fill(created);
	await submit(page, 'Rattacher');
	await snap(page, 'quarantaine-confirmation');
	await submit(page, 'Rattacher');
	check((await page.getByRole('status').first().textContent()).includes('rattaché'),
	    'courriel rattaché : message');

	// another structure: the same 404 as a case that does not exist
	await page.getByRole('button', { name: 'Se déconnecter' }).click();
	await login(page, 'agent2');
	const r404 = await page.goto(base + 'dossiers/' + ref);
	is(r404.status(), 404, 'agent2 : dossier de Fontenay, 404');
	await snap(page, 'dossier-introuvable');
	code = done();
} catch (e) {
	console.error(e);
	code = 1;
	done();
} finally {
	await b.close();
}
process.exit(code);
