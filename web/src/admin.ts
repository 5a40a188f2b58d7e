import './style.css';
import { countOf } from '@urna/domain/id-keyed';
import { api, ApiError, type Election, type Snapshot } from './api.ts';
import { authConfig, currentSession, devSignIn, oidcSignIn, signOut, type Session } from './identity.ts';
import { byId, h, mount } from './dom.ts';
import { USER_ID } from './ids.ts';
import { resultsView, type ResultsView } from './results-view.ts';
import { optionsFromLines } from './options.ts';

const app = byId('app');
const who = byId('who');

interface Reconciliation {
  readonly accepted: number;
  readonly counted: number;
  readonly rejected: Record<string, number>;
  readonly liveMatched: boolean;
  readonly closedAt: string;
}

/** A datetime-local value (the browser's zone) as ISO 8601 UTC, or undefined when empty. */
const isoOf = (local: string): string | undefined => (local === '' ? undefined : new Date(local).toISOString());

interface AcceptedRate {
  readonly accepted: number;
  readonly acceptedPerSecond: number | null;
  readonly windowSeconds: number;
}

interface LogLag {
  readonly partitions: number;
  readonly groups: Record<string, { undelivered: number; pending: number }>;
}

function signInForm(onDone: () => void): HTMLElement {
  const error = h('p', { class: 'error', role: 'alert' });
  const input = h('input', { id: 'admin-name', autocomplete: 'username', required: true, spellcheck: 'false' });
  const form = h(
    'form',
    { class: 'stack card narrow' },
    h('h1', {}, 'Admin sign-in'),
    h('label', { for: 'admin-name' }, 'Admin name'),
    h('p', { class: 'muted small' }, 'Development sign-in: issues an admin token for this name.'),
    input,
    h('button', { type: 'submit' }, 'Sign in as admin'),
    error,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!USER_ID.test(input.value.trim())) {
      error.textContent = 'Use letters, digits or . _ - @ (no spaces).';
      return;
    }
    try {
      await devSignIn(input.value.trim(), 'admin');
      onDone();
    } catch (e) {
      error.textContent = e instanceof ApiError ? e.message : String(e);
    }
  });
  return form;
}

/** The election list's refresh timer: one per signed-in console. */
let listTimer: ReturnType<typeof setInterval> | undefined;

function console_(session: Session): void {
  clearInterval(listTimer);
  who.replaceChildren(
    `Admin ${session.userId} `,
    h(
      'button',
      {
        type: 'button',
        class: 'link',
        onclick: () => {
          clearInterval(listTimer);
          signOut('admin');
          void main();
        },
      },
      'Sign out',
    ),
  );
  const token = session.idToken;
  const list = h('tbody');
  const detail = h(
    'section',
    { class: 'card detail', 'aria-label': 'Selected election' },
    h('p', { class: 'muted' }, 'Select an election to watch it live.'),
  );
  const notice = h('p', { class: 'error', role: 'alert' });
  let watching: { view: ResultsView; timer: ReturnType<typeof setInterval> } | undefined;

  const refresh = async () => {
    // with the admin's token the list includes drafts (anonymous callers never see them)
    const { elections } = await api<{ elections: Election[] }>('GET', '/v1/elections', { token });
    list.replaceChildren(
      ...elections.map((e) => {
        const act = (action: 'open' | 'close') =>
          h(
            'button',
            {
              type: 'button',
              'data-action': action,
              onclick: async () => {
                notice.textContent = '';
                try {
                  await api('POST', `/v1/elections/${e.id}/${action}`, { token });
                } catch (error) {
                  notice.textContent = error instanceof ApiError ? error.message : String(error);
                }
                await refresh();
              },
            },
            action === 'open' ? 'Open' : 'Close',
          );
        const when = [
          e.opensAt === undefined ? '' : `opens ${new Date(e.opensAt).toLocaleString()}`,
          e.closesAt === undefined ? '' : `closes ${new Date(e.closesAt).toLocaleString()}`,
        ]
          .filter((x) => x !== '')
          .join(' · ');
        return h(
          'tr',
          { 'data-election': e.id },
          h(
            'td',
            {},
            h('button', { type: 'button', class: 'link', onclick: () => watch(e) }, e.title),
            h('div', { class: 'muted small' }, e.id),
            when === '' ? '' : h('div', { class: 'muted small', 'data-testid': 'schedule' }, when),
          ),
          h('td', {}, h('span', { class: `badge ${e.status}` }, e.status)),
          h('td', {}, e.status === 'draft' ? act('open') : e.status === 'open' ? act('close') : '—'),
        );
      }),
    );
  };

  const watch = (election: Election) => {
    if (watching !== undefined) {
      watching.view.close();
      clearInterval(watching.timer);
    }
    const rate = h('dd', { 'data-testid': 'rate' }, '—');
    const accepted = h('dd', { 'data-testid': 'accepted' }, '—');
    const lagLive = h('dd', { 'data-testid': 'lag-live' }, '—');
    const lagStore = h('dd', { 'data-testid': 'lag-store' }, '—');
    const hiddenCounts = h('p', { class: 'muted small', 'data-testid': 'admin-counts', hidden: true });
    const official = h('div', { 'data-testid': 'official' });
    let reconciled = false;
    let final = false;
    let shown = '';
    // a vote that reached the log after the close and after the recount is re-reconciled within
    // minutes: the console reads the reconciliation again every tick while the result is final
    const showReconciliation = async () => {
      try {
        const r = await api<Reconciliation>('GET', `/v1/elections/${election.id}/reconciliation`);
        const rejected = Object.entries(r.rejected)
          .map(([reason, n]) => `${n.toLocaleString('en')} ${reason}`)
          .join(', ');
        const text = `${r.counted.toLocaleString('en')} counted of ${r.accepted.toLocaleString('en')} accepted; rejected: ${rejected}. `;
        if (text + String(r.liveMatched) === shown) return;
        shown = text + String(r.liveMatched);
        official.replaceChildren(
          h('h3', {}, 'Reconciliation'),
          h('p', {}, text, r.liveMatched ? 'The live tally matched.' : 'The live tally differed: the recount wins.'),
          h('p', {}, h('a', { href: `/v1/elections/${election.id}/reconciliation` }, 'Reconciliation (JSON)')),
        );
      } catch {
        // not final yet, or unreachable: the next tick tries again
      }
    };
    const view = resultsView(election, (snapshot: Snapshot) => {
      final = snapshot.final === true;
      if (final) hiddenCounts.hidden = true;
      if (snapshot.final === true && !reconciled) {
        reconciled = true;
        void showReconciliation();
      }
    });
    const tick = async () => {
      if (reconciled) void showReconciliation();
      // accepted votes/s of every ingest process together, sampled by the lifecycle service
      try {
        const r = await api<AcceptedRate>('GET', `/v1/admin/elections/${election.id}/rate`, { token });
        rate.textContent = r.acceptedPerSecond === null ? '—' : `${r.acceptedPerSecond.toFixed(1)} /s`;
        accepted.textContent = r.accepted.toLocaleString('en');
      } catch (error) {
        rate.textContent = error instanceof ApiError ? error.message : 'unavailable';
      }
      // hidden results: the public stream carries no per-option counts; admins read them here
      if (election.resultsVisibility === 'hidden' && !final) {
        try {
          const live = await api<Snapshot>('GET', `/v1/admin/elections/${election.id}/results`, { token });
          hiddenCounts.textContent = `Live counts (admins only, hidden from the public): ${election.options
            .map((o) => `${o.label} ${countOf(live.counts, o.id).toLocaleString('en')}`)
            .join(' · ')}`;
          hiddenCounts.hidden = final;
        } catch {
          hiddenCounts.hidden = true;
        }
      }
      try {
        const lag = await api<LogLag>('GET', '/v1/admin/log', { token });
        const behind = (group: string) => {
          const g = lag.groups[group];
          const n = g === undefined ? undefined : g.undelivered + g.pending;
          return n === undefined ? '—' : `${n.toLocaleString('en')} record${n === 1 ? '' : 's'} behind`;
        };
        lagLive.textContent = behind('live-tally');
        lagStore.textContent = behind('vote-store');
      } catch (error) {
        lagLive.textContent = lagStore.textContent = error instanceof ApiError ? error.message : 'unavailable';
      }
    };
    watching = { view, timer: setInterval(() => void tick(), 1_000) };
    void tick();
    detail.replaceChildren(
      h('h2', {}, election.title),
      h(
        'dl',
        { class: 'stats' },
        h('dt', {}, 'Accepted votes per second, all ingest processes (last 5 s)'),
        rate,
        h('dt', {}, 'Accepted votes (applied by the live tally)'),
        accepted,
        h('dt', {}, 'Live tally (Redis) lag'),
        lagLive,
        h('dt', {}, 'Vote store (DynamoDB) lag'),
        lagStore,
      ),
      view.element,
      hiddenCounts,
      official,
      h(
        'p',
        { class: 'muted small' },
        'Accepted votes are every vote the log acknowledged, counted or not, as the live tally applies them: the figure trails the log by the live tally lag.',
      ),
    );
  };

  const title = h('input', { id: 'title', required: true, maxlength: 200 });
  const id = h('input', { id: 'election-id', pattern: '[A-Za-z0-9_-]{1,64}', placeholder: 'optional' });
  const options = h('textarea', { id: 'options', rows: 4, required: true, placeholder: 'One option per line' });
  // step 1: to the second (the default step of 60 s would refuse a time with seconds)
  const opensAt = h('input', { id: 'opens-at', type: 'datetime-local', step: 1 });
  const closesAt = h('input', { id: 'closes-at', type: 'datetime-local', step: 1 });
  const hidden = h('input', { id: 'hidden-results', type: 'checkbox' });
  const createError = h('p', { class: 'error', role: 'alert' });
  const create = h(
    'form',
    { class: 'card stack' },
    h('h2', {}, 'New election'),
    h('label', { for: 'title' }, 'Title'),
    title,
    h('label', { for: 'election-id' }, 'Id (letters, digits, _ and -)'),
    id,
    h('label', { for: 'options' }, 'Options, one per line (at least two)'),
    options,
    h('label', { for: 'opens-at' }, 'Opens at (optional, scheduled)'),
    opensAt,
    h('label', { for: 'closes-at' }, 'Closes at (optional, scheduled)'),
    closesAt,
    h('label', { for: 'hidden-results' }, hidden, ' Hide results until the official recount'),
    h('button', { type: 'submit' }, 'Create election'),
    createError,
  );
  create.addEventListener('submit', async (event) => {
    event.preventDefault();
    createError.textContent = '';
    const opens = isoOf(opensAt.value);
    const closes = isoOf(closesAt.value);
    const body = {
      title: title.value.trim(),
      options: optionsFromLines(options.value),
      ...(id.value.trim() === '' ? {} : { id: id.value.trim() }),
      ...(opens === undefined ? {} : { opensAt: opens }),
      ...(closes === undefined ? {} : { closesAt: closes }),
      ...(hidden.checked ? { resultsVisibility: 'hidden' } : {}),
    };
    if (body.options.length < 2) {
      createError.textContent = 'Give at least two options.';
      return;
    }
    try {
      await api('POST', '/v1/elections', { token, body });
      create.reset();
      await refresh();
    } catch (error) {
      createError.textContent = error instanceof ApiError ? `${error.message} ${error.detail}` : String(error);
    }
  });

  const dashboard = h(
    'button',
    {
      type: 'button',
      class: 'link',
      'data-testid': 'dashboard',
      onclick: async () => {
        notice.textContent = '';
        try {
          await api('POST', '/v1/admin/session', { token }); // sets the HttpOnly session cookie the dashboard needs
          window.open('/admin/queues', '_blank', 'noopener');
        } catch (error) {
          notice.textContent = error instanceof ApiError ? error.message : String(error);
        }
      },
    },
    'Job dashboard (BullMQ)',
  );
  mount(
    app,
    h('h1', {}, 'Elections'),
    h('p', {}, dashboard),
    notice,
    h(
      'div',
      { class: 'grid' },
      h(
        'div',
        { class: 'stack' },
        h(
          'section',
          { class: 'card' },
          h(
            'table',
            { class: 'elections' },
            h(
              'thead',
              {},
              h('tr', {}, h('th', { scope: 'col' }, 'Election'), h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col' }, 'Action')),
            ),
            list,
          ),
        ),
        create,
      ),
      detail,
    ),
  );
  void refresh().catch((error: unknown) => (notice.textContent = error instanceof ApiError ? error.message : String(error)));
  // scheduled opens and closes happen without this page: the list follows them
  listTimer = setInterval(() => void refresh().catch(() => undefined), 3_000);
}

async function main(): Promise<void> {
  const config = await authConfig().catch(() => undefined);
  const session = currentSession('admin');
  if (session !== undefined) return console_(session);
  who.replaceChildren();
  if (config?.mode === 'oidc') {
    mount(
      app,
      h(
        'section',
        { class: 'card narrow' },
        h('h1', {}, 'Admin sign-in'),
        h('button', { type: 'button', onclick: () => oidcSignIn() }, 'Sign in with your account'),
      ),
    );
    return;
  }
  mount(
    app,
    signInForm(() => void main()),
  );
}

void main();
