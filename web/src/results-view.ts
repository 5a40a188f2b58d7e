import { countOf } from '@urna/domain/id-keyed';
import { backoffDelay } from '@urna/domain/timing';
import { percent, type Election, type Snapshot } from './api.ts';
import { h } from './dom.ts';

export interface ResultsView {
  readonly element: HTMLElement;
  close(): void;
}

/**
 * Live results as bars, fed by the SSE stream. Rows are created once and updated in place
 * (text and a CSS transform), so updates do not flicker or move the layout. EventSource
 * reconnects by itself after a drop and sends Last-Event-ID, so nothing is re-sent needlessly;
 * the connection state is shown. `onSnapshot` lets the page react to the status (closed).
 * Hidden results (`visibility: "hidden"`) carry no per-option counts: the bars say so instead
 * of showing zeros. `event: final` (the official result) is rendered like any snapshot.
 */
export function resultsView(election: Election, onSnapshot: (snapshot: Snapshot) => void = () => {}): ResultsView {
  const rows = new Map<string, { count: HTMLElement; fill: HTMLElement; row: HTMLElement }>();
  const list = h('ol', { class: 'bars', 'aria-label': 'Results by option' });
  for (const option of election.options) {
    const count = h('span', { class: 'bar-num' }, '0 · 0%');
    const fill = h('span', { class: 'bar-fill' });
    const row = h(
      'li',
      { class: 'bar-row', 'data-option': option.id },
      h('span', { class: 'bar-label' }, h('span', { class: 'bar-name' }, option.label), count),
      h('span', { class: 'bar-track', 'aria-hidden': 'true' }, fill),
    );
    rows.set(option.id, { count, fill, row });
    list.append(row);
  }
  const total = h('span', { class: 'total', 'data-testid': 'total' }, '0 votes counted');
  const live = h('span', { class: 'live connecting', role: 'status' }, 'Connecting…');
  const heading = h('h2', { id: 'results-title' }, 'Live results');
  const note = h('p', { class: 'muted small', 'data-testid': 'results-note', hidden: true });
  const element = h(
    'section',
    { class: 'card results', 'aria-labelledby': 'results-title' },
    h('div', { class: 'card-head' }, heading, live),
    list,
    h('p', { class: 'muted' }, total),
    note,
  );

  let lastVersion = -1;
  const render = (snapshot: Snapshot) => {
    if (snapshot.version < lastVersion) return;
    lastVersion = snapshot.version;
    const hidden = snapshot.visibility === 'hidden' && snapshot.final !== true;
    const max = Math.max(1, ...Object.values(snapshot.counts));
    for (const [optionId, { count, fill, row }] of rows) {
      const n = countOf(snapshot.counts, optionId);
      count.textContent = hidden ? 'hidden' : `${n.toLocaleString('en')} · ${percent(n, snapshot.total)}`;
      fill.style.transform = `scaleX(${hidden ? 0 : n / max})`;
      row.classList.toggle('leading', !hidden && n > 0 && n === max);
    }
    heading.textContent = snapshot.final === true ? 'Official result' : 'Live results';
    total.textContent = `${snapshot.total.toLocaleString('en')} vote${snapshot.total === 1 ? '' : 's'} counted`;
    note.hidden = !hidden && snapshot.final !== true;
    note.textContent = hidden
      ? 'Results are hidden until the official recount at close.'
      : snapshot.final === true
        ? 'Official result: the recount of every stored vote at close.'
        : '';
    onSnapshot(snapshot);
  };

  const setLive = (state: 'live' | 'connecting', text: string) => {
    live.className = `live ${state}`;
    live.textContent = text;
  };
  // EventSource retries a dropped stream by itself, but gives up for good when a retry gets an
  // error response (the edge's 503 while results-sse restarts). Then a new one is opened
  // after a jittered back-off, so millions of pages do not come back in the same second.
  let source: EventSource | undefined;
  let failures = 0;
  let closed = false;
  let retry: ReturnType<typeof setTimeout> | undefined;
  const connect = () => {
    source = new EventSource(`/v1/elections/${encodeURIComponent(election.id)}/results/stream`);
    const current = source;
    current.addEventListener('open', () => setLive('live', 'Live'));
    const onSnapshotEvent = (event: Event) => {
      failures = 0;
      setLive('live', 'Live');
      render(JSON.parse((event as MessageEvent<string>).data) as Snapshot);
    };
    current.addEventListener('results', onSnapshotEvent);
    current.addEventListener('final', onSnapshotEvent);
    current.addEventListener('error', () => {
      setLive('connecting', 'Reconnecting…');
      if (current.readyState !== EventSource.CLOSED || closed) return;
      failures++;
      const delay = backoffDelay(failures - 1, { baseMs: 1_000, maxMs: 15_000, maxExponent: 4, jitter: 1 });
      retry = setTimeout(connect, delay);
    });
  };
  connect();
  return {
    element,
    close: () => {
      closed = true;
      clearTimeout(retry);
      source?.close();
    },
  };
}
