// flow.mjs - the whole way of a case through the web desk in a real
// Chromium (issue 10, point 6), run twice by tests/integration/browserflow.sh
// around the real mail stack:
//   node flow.mjs escalate PIECE   agent1 creates a case in the browser
//                                  with the file PIECE attached; prints
//                                  "REF=<reference>"
//   (the shell: serve delivers it to the CAF referent's mailbox, the
//   referent answers on the stack, serve fetches the reply)
//   node flow.mjs answered REF PIECE
//                                  agent1 sees the reply in the thread and
//                                  downloads the piece; agent2 gets 404; the
//                                  manager's report counts it; the DPO's and
//                                  the administrator's pages, none showing
//                                  the person; the DPO reads and rejects a
//                                  mail that names no case, the
//                                  administrator sees its metadata only.
// Every page: a screenshot NAME.png and axe-core with no serious or
// critical violation.
// Env: FSRELAY_TEST_WEB_URL (ending in /), FSRELAY_TEST_WEB_PASSWORD,
// FSRELAY_TEST_OUTPUT (screenshots).
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { check, is, done, launch, login, snap } from './lib.mjs';

const base = process.env.FSRELAY_TEST_WEB_URL;
const pw = process.env.FSRELAY_TEST_WEB_PASSWORD;
const [phase, arg1, arg2] = process.argv.slice(2);
if (!base || !pw || !['escalate', 'answered'].includes(phase)) {
	console.error('flow.mjs escalate PIECE | answered REF PIECE (FSRELAY_TEST_WEB_URL, FSRELAY_TEST_WEB_PASSWORD)');
	process.exit(2);
}
const PERSON = 'Ornella Vasquez-Tiberghien';

async function submit(page, name) {
	const [resp] = await Promise.all([page.waitForNavigation(),
		page.getByRole('button', { name, exact: true }).click()]);
	return resp;
}

async function logout(page) {
	await Promise.all([page.waitForNavigation(),
		page.getByRole('button', { name: 'Se déconnecter' }).click()]);
}

// The page at path: its status, then the screenshot and axe-core.
async function visit(page, path, name, status = 200) {
	const r = await page.goto(base + path);
	is(r.status(), status, `${path} : ${status}`);
	await snap(page, name);
	return r;
}

async function escalate(page, piece) {
	await login(page, base, 'agent1', pw);
	await page.getByRole('navigation').getByRole('link', { name: 'Nouveau dossier' }).click();
	await page.waitForURL(base + 'dossiers/nouveau');
	await page.getByLabel('Partenaire et motif').selectOption('caf:prestations-familiales');
	await page.getByLabel('Nom de l\'usager', { exact: true }).fill('Vasquez-Tiberghien');
	await page.getByLabel('Prénom de l\'usager').fill('Ornella');
	await page.getByLabel('Date de signature du mandat').fill('2026-01-20');
	await page.getByLabel('Description de la situation').fill(
	    'Allocations familiales suspendues depuis janvier (parcours navigateur).');
	await page.getByLabel('Pièces jointes (facultatives)').setInputFiles(piece);
	await snap(page, 'parcours-nouveau-dossier');
	const r = await submit(page, 'Créer et transmettre le dossier');
	is(r.status(), 200, 'dossier créé : sa page');
	const ref = new URL(page.url()).pathname.replace('/dossiers/', '');
	check(/^FS-\d{5}-\d{4}-\d{6}$/.test(ref), `référence : ${ref}`);
	check((await page.getByRole('status').first().textContent()).includes('Le dossier est créé'),
	    'message de réussite');
	check((await page.textContent('main')).includes(basename(piece)), 'la pièce dans le dossier');
	await snap(page, 'parcours-dossier-cree');
	await page.getByRole('navigation').getByRole('link', { name: 'Mes dossiers' }).click();
	await page.waitForURL(base + 'dossiers');
	check((await page.locator('tbody tr', { hasText: ref }).textContent()).includes('en file d\'envoi'),
	    'Mes dossiers : le dossier, en file d\'envoi');
	check(!(await page.textContent('main')).includes('Vasquez'), 'Mes dossiers : aucun nom');
	await snap(page, 'parcours-mes-dossiers');
	console.log(`REF=${ref}`);
}

async function answered(page, ref, piece) {
	await login(page, base, 'agent1', pw);
	await page.getByRole('navigation').getByRole('link', { name: 'Mes dossiers' }).click();
	await page.waitForURL(base + 'dossiers');
	const row = page.locator('tbody tr', { hasText: ref });
	check((await row.textContent()).includes('répondu'), 'Mes dossiers : répondu');
	await snap(page, 'parcours-mes-dossiers-repondu');
	await Promise.all([page.waitForNavigation(), row.getByRole('link', { name: ref }).click()]);
	is(new URL(page.url()).pathname, '/dossiers/' + ref, 'la page du dossier, depuis la liste');
	check((await page.textContent('main')).includes(PERSON), 'la personne, déchiffrée');
	const sent = page.locator('article', { hasText: 'Dossier envoyé' });
	is(await sent.count(), 1, 'le fil : le dossier envoyé');
	const reply = page.locator('article', { hasText: 'Réponse reçue' });
	is(await reply.count(), 1, 'le fil : la réponse du référent');
	check((await reply.textContent()).includes('versement reprend le 5 mars'),
	    'le texte de la réponse, reçu par la pile de messagerie');
	const folded = reply.locator('details');
	check(!(await folded.evaluate(d => d.open)), 'historique cité replié');
	await folded.locator('summary').click();
	check(await folded.evaluate(d => d.open), 'historique cité déplié au clic');
	// the quoted history is behind the fold (the whole message there, or
	// the note that it is not kept), not in the reply's text
	const inFold = await folded.textContent();
	check(inFold.includes('Allocations familiales suspendues') ||
	    inFold.includes('ne garde pas l\'historique cité'), 'historique cité : derrière le pli');
	check(!(await reply.evaluate(a => { const c = a.cloneNode(true);
		c.querySelectorAll('details').forEach(d => d.remove()); return c.textContent; }))
	    .includes('a écrit'), 'la citation hors du texte de la réponse');
	const [dl] = await Promise.all([page.waitForEvent('download'),
		page.getByRole('link', { name: basename(piece) }).first().click()]);
	is(dl.suggestedFilename(), basename(piece), 'la pièce téléchargée sous son nom');
	const got = readFileSync(await dl.path());
	check(got.equals(readFileSync(piece)), 'la pièce téléchargée : les mêmes octets');
	await snap(page, 'parcours-dossier-repondu');
	await logout(page);

	// another structure's agent: the same 404 as a case that does not exist
	await login(page, base, 'agent2', pw);
	await visit(page, 'dossiers/' + ref, 'parcours-agent2-introuvable', 404);
	check(!(await page.textContent('main')).includes('Vasquez'), 'agent2 : rien du dossier');
	await logout(page);

	// the structure manager: the report counts it
	await login(page, base, 'responsable', pw);
	await visit(page, 'rapport', 'parcours-rapport');
	check((await page.textContent('main')).includes('CAF'), 'rapport : la CAF');
	await logout(page);

	// the DPO: the register and the journal, no case content
	await login(page, base, 'dpo', pw);
	await visit(page, 'violations', 'parcours-violations');
	check(!(await page.textContent('main')).includes('Vasquez'), 'registre : aucun nom');
	await visit(page, 'journal', 'parcours-journal');
	check((await page.textContent('main')).includes('intact'), 'journal d\'audit : intact');
	await visit(page, 'dossiers/' + ref, 'parcours-dpo-introuvable', 404);
	// the quarantine's mails that name no case: read, then rejected
	await page.getByRole('navigation').getByRole('link', { name: 'Quarantaine' }).click();
	await page.waitForURL(base + 'quarantaine');
	check((await page.textContent('main')).includes('curieux@example.org'),
	    'DPO : le courriel sans dossier, son expéditeur');
	await snap(page, 'parcours-quarantaine-dpo');
	await Promise.all([page.waitForNavigation(), page.locator('tbody a').first().click()]);
	check((await page.textContent('main')).includes('Motnavigateur'), 'DPO : le courriel déchiffré');
	is(await page.getByRole('button', { name: 'Rattacher' }).count(), 0,
	    'DPO : pas de rattachement (il ne voit aucun dossier)');
	await snap(page, 'parcours-quarantaine-courriel-dpo');
	let r = await submit(page, 'Rejeter le courriel');
	is(r.status(), 200, 'DPO : la confirmation du rejet');
	await snap(page, 'parcours-quarantaine-rejet');
	r = await submit(page, 'Rejeter le courriel');
	check((await page.getByRole('status').first().textContent()).includes('Le courriel est rejeté'),
	    'DPO : courriel rejeté');
	await logout(page);

	// the administrator: accounts and directory, metadata only
	await login(page, base, 'admin', pw);
	await visit(page, 'agents', 'parcours-agents');
	await visit(page, 'annuaire', 'parcours-annuaire');
	check((await page.textContent('main')).includes('partenaires.cafnanterre@caf.cnafmail.fr'),
	    'annuaire : la référente de la CAF');
	await visit(page, 'dossiers/' + ref, 'parcours-admin-introuvable', 404);
	await visit(page, 'quarantaine', 'parcours-quarantaine-admin');
	const qm = await page.textContent('main');
	check(qm.includes('métadonnées seulement') && !qm.includes('curieux@example.org') &&
	    !qm.includes('Demande de renseignements'), 'administrateur : ni expéditeur ni objet');
	is(await page.locator('tbody a').count(), 0, 'administrateur : aucun lien de lecture');
	check(!(await page.textContent('main')).includes('Vasquez'), 'administrateur : aucun nom');
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
	if (phase === 'escalate')
		await escalate(page, arg1);
	else
		await answered(page, arg1, arg2);
	check(errors.length === 0, `aucune erreur dans la console : ${errors.join(' | ')}`);
	code = done();
} catch (e) {
	console.error('FAIL: exception', e);
	done();
	code = 1;
} finally {
	await b.close();
}
process.exit(code);
