import './style.css';
import { api, ApiError, type Election, type Receipt, type Snapshot } from './api.ts';
import { authConfig, currentSession, devSignIn, oidcSignIn, signOut, votingToken, type AuthConfig, type Session } from './identity.ts';
import { byId, h, mount } from './dom.ts';
import { USER_ID } from './ids.ts';
import { resultsView } from './results-view.ts';
import { ProofOfWork } from './pow.ts';
import { verifyPanel } from './verify-vote.ts';

const app = byId('app');
const who = byId('who');
const STATUS_TEXT: Record<Election['status'], string> = { draft: 'Not open yet', open: 'Voting open', closed: 'Closed' };

/** The election of `?election=<id>`, else the first open one; a chooser when several are open. */
async function pickElection(): Promise<Election | Election[] | undefined> {
  const wanted = new URLSearchParams(location.search).get('election');
  if (wanted !== null) return api<Election>('GET', `/v1/elections/${encodeURIComponent(wanted)}`);
  const { elections } = await api<{ elections: Election[] }>('GET', '/v1/elections');
  const open = elections.filter((e) => e.status === 'open');
  if (open.length === 1) return open[0];
  return open.length > 1 ? open : elections[0];
}

function showIdentity(session: Session | undefined, onChange: () => void): void {
  if (session === undefined) {
    who.replaceChildren();
    return;
  }
  who.replaceChildren(
    `Signed in as ${session.userId} `,
    h(
      'button',
      {
        type: 'button',
        class: 'link',
        onclick: () => {
          signOut('voter');
          onChange();
        },
      },
      'Sign out',
    ),
  );
}

function signInForm(config: AuthConfig, onSignedIn: () => void, notice?: string): HTMLElement {
  if (config.mode === 'oidc') {
    return h(
      'div',
      {},
      h('p', {}, 'Sign in to vote.'),
      h('button', { type: 'button', onclick: () => oidcSignIn() }, 'Sign in with your account'),
    );
  }
  const error = h('p', { class: 'error', role: 'alert' }, notice ?? '');
  const input = h('input', { id: 'name', name: 'name', autocomplete: 'username', required: true, maxlength: 128, spellcheck: 'false' });
  const form = h(
    'form',
    { class: 'stack', novalidate: true },
    h('label', { for: 'name' }, 'Your name'),
    h('p', { class: 'muted small', id: 'name-hint' }, 'Development sign-in: any name made of letters, digits and . _ - @ works.'),
    input,
    h('button', { type: 'submit' }, 'Sign in'),
    error,
  );
  input.setAttribute('aria-describedby', 'name-hint');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const name = input.value.trim();
    if (!USER_ID.test(name)) {
      error.textContent = 'Use 1–128 letters, digits or . _ - @ (no spaces).';
      input.focus();
      return;
    }
    try {
      await devSignIn(name, 'voter');
      onSignedIn();
    } catch (e) {
      error.textContent = e instanceof ApiError ? e.message : String(e);
    }
  });
  return form;
}

function receiptList(
  election: Election,
  receipts: readonly Receipt[],
  verify?: (r: Receipt, statusText: string) => HTMLElement,
): HTMLElement {
  const label = (optionId: string) => election.options.find((o) => o.id === optionId)?.label ?? optionId;
  const text = (r: Receipt) =>
    r.status === 'counted'
      ? 'Counted'
      : r.status === 'pending'
        ? 'Recorded — being counted…'
        : r.reason === 'duplicate'
          ? 'Not counted — you had already voted'
          : 'Not counted';
  return h(
    'ul',
    { class: 'receipts' },
    ...receipts.map((r) =>
      h(
        'li',
        { class: `receipt ${r.status}`, 'data-status': r.status },
        h('span', { class: 'receipt-choice' }, label(r.optionId)),
        h('span', { class: `chip ${r.status}` }, text(r)),
        h('span', { class: 'muted small' }, 'Receipt ', h('code', { 'data-testid': 'receipt' }, r.voteId)),
        verify?.(r, text(r)),
      ),
    ),
  );
}

async function main(): Promise<void> {
  let config: AuthConfig;
  let picked: Election | Election[] | undefined;
  try {
    [config, picked] = await Promise.all([authConfig(), pickElection()]);
  } catch (e) {
    mount(app, h('p', { class: 'error', role: 'alert' }, e instanceof ApiError ? e.message : 'Could not load the election.'));
    return;
  }
  if (picked === undefined) {
    mount(app, h('h1', {}, 'No election right now'), h('p', { class: 'muted' }, 'Come back when voting opens.'));
    return;
  }
  if (Array.isArray(picked)) {
    mount(
      app,
      h('h1', {}, 'Choose an election'),
      h('ul', { class: 'choices' }, ...picked.map((e) => h('li', {}, h('a', { href: `/?election=${encodeURIComponent(e.id)}` }, e.title)))),
    );
    return;
  }
  const election = picked;
  let status = election.status;
  let receipts: Receipt[] | undefined;
  let pollTimer: ReturnType<typeof setTimeout> | undefined;
  /** "Verify my vote" panels by voteId, kept across re-renders (the check runs once per click). */
  const verifications = new Map<string, HTMLElement>();
  const verifyControl = (r: Receipt, statusText: string): HTMLElement => {
    const shown = verifications.get(r.voteId);
    if (shown !== undefined) return shown;
    const slot = h('div', { class: 'verify-slot' });
    slot.append(
      h(
        'button',
        {
          type: 'button',
          class: 'link',
          'data-testid': 'verify-vote',
          onclick: () => {
            const panel = verifyPanel(election.id, r.voteId, r.optionId, statusText);
            slot.replaceChildren(panel);
            verifications.set(r.voteId, slot);
          },
        },
        'Verify my vote',
      ),
    );
    return slot;
  };

  const badge = h('span', { class: `badge ${status}`, 'data-testid': 'status' }, STATUS_TEXT[status]);
  const banner = h('p', { class: 'banner', role: 'status' });
  const voteCard = h('section', { class: 'card', 'aria-labelledby': 'vote-title' });
  const results = resultsView(election, (snapshot: Snapshot) => {
    if (snapshot.status !== undefined && snapshot.status !== status) {
      status = snapshot.status;
      render();
    }
  });

  const session = () => currentSession('voter');
  const refreshReceipts = async (): Promise<void> => {
    const s = session();
    if (s === undefined) return;
    try {
      receipts = (await api<{ votes: Receipt[] }>('GET', `/v1/elections/${election.id}/votes/me`, { token: await votingToken(s, config) }))
        .votes;
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) receipts = [];
      else if (e instanceof ApiError && e.status === 401) signOut('voter');
      else throw e;
    }
  };
  const pollWhilePending = () => {
    clearTimeout(pollTimer);
    if (!receipts?.some((r) => r.status === 'pending')) return;
    pollTimer = setTimeout(async () => {
      await refreshReceipts().catch(() => undefined);
      render();
      pollWhilePending();
    }, 700);
  };

  const pow = new ProofOfWork(election.id, async () => {
    const s = session();
    if (s === undefined) throw new Error('signed out');
    return votingToken(s, config);
  });
  /** One vote attempt; a refused proof (expired, already used) is replaced once, silently. */
  const castVote = async (s: Session, optionId: string, retry = true): Promise<{ voteId: string }> => {
    const proof = await pow.take();
    try {
      return await api<{ voteId: string }>('POST', `/v1/elections/${election.id}/votes`, {
        token: await votingToken(s, config),
        body: { optionId },
        ...(proof === undefined ? {} : { headers: { 'x-altcha': proof } }),
      });
    } catch (e) {
      if (retry && e instanceof ApiError && e.code.startsWith('CHALLENGE_')) return castVote(s, optionId, false);
      throw e;
    }
  };

  const ballot = (s: Session): HTMLElement => {
    pow.prepare();
    const error = h('p', { class: 'error', role: 'alert' });
    const submit = h('button', { type: 'submit' }, 'Cast my vote');
    const fieldset = h(
      'fieldset',
      {},
      h('legend', {}, 'Choose one'),
      ...election.options.map((o, i) =>
        h(
          'label',
          { class: 'option' },
          h('input', { type: 'radio', name: 'option', value: o.id, required: i === 0 }),
          h('span', {}, o.label),
        ),
      ),
    );
    const form = h('form', { class: 'stack' }, fieldset, submit, error);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const chosen = (form.querySelector('input[name="option"]:checked') as HTMLInputElement | null)?.value;
      if (chosen === undefined) {
        error.textContent = 'Choose an option first.';
        return;
      }
      submit.disabled = true;
      submit.textContent = 'Sending…';
      error.textContent = '';
      try {
        const accepted = await castVote(s, chosen);
        receipts = [{ voteId: accepted.voteId, optionId: chosen, status: 'pending' }];
        render();
        pollWhilePending();
      } catch (e) {
        const failure = e instanceof ApiError ? e : new ApiError(0, 'NETWORK', String(e));
        if (failure.status === 409) status = 'closed';
        if (failure.status === 401) signOut('voter');
        submit.disabled = false;
        submit.textContent = failure.retriable ? 'Try again' : 'Cast my vote';
        error.textContent = failure.message;
        if (failure.status === 409 || failure.status === 401) render(failure.message);
      }
    });
    return form;
  };

  function render(notice?: string): void {
    const s = session();
    showIdentity(s, () => {
      receipts = undefined;
      render();
    });
    badge.className = `badge ${status}`;
    badge.textContent = STATUS_TEXT[status];
    banner.textContent =
      status === 'closed' ? 'This election is closed. No more votes are accepted; the official result follows the recount.' : '';
    banner.hidden = status !== 'closed';
    let body: HTMLElement;
    if (s === undefined) body = signInForm(config, () => void load(), notice);
    else if (receipts === undefined) body = h('p', { class: 'muted' }, 'Loading your vote…');
    else if (receipts.length > 0)
      body = h(
        'div',
        {},
        receiptList(election, receipts, verifyControl),
        h('p', { class: 'muted small' }, 'Keep your receipt: it identifies your vote in the audit.'),
      );
    else if (status === 'open') body = ballot(s);
    else
      body = h(
        'p',
        {},
        status === 'closed' ? 'Voting has closed. You did not vote in this election.' : 'Voting has not opened yet. Come back soon.',
      );
    const title = s !== undefined && receipts !== undefined && receipts.length > 0 ? 'Your vote' : 'Vote';
    voteCard.replaceChildren(
      h('h2', { id: 'vote-title' }, title),
      ...(notice !== undefined && s !== undefined ? [h('p', { class: 'error', role: 'alert' }, notice)] : []),
      body,
    );
  }

  /** Reads the signed-in voter's receipts, then shows their vote or the ballot. */
  async function load(): Promise<void> {
    receipts = undefined;
    render();
    try {
      await refreshReceipts();
    } catch (e) {
      render(e instanceof ApiError ? e.message : 'Could not load your vote.');
      return;
    }
    render(session() === undefined ? 'Your sign-in has expired. Please sign in again.' : undefined);
    pollWhilePending();
  }

  mount(
    app,
    h('div', { class: 'title-row' }, h('h1', {}, election.title), badge),
    banner,
    h('div', { class: 'grid' }, voteCard, results.element),
  );
  await load();
}

void main();
