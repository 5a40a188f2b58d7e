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
 */
export function resultsView(election: Election, onSnapshot: (snapshot: Snapshot) => void = () => {}): ResultsView {
  const rows = new Map<string, { count: HTMLElement; fill: HTMLElement; row: HTMLElement }>();
  const list = h('ol', { class: 'bars', 'aria-label': 'Results by option' });
  for (const option of election.options) {
    const count = h('span', { class: 'bar-num' }, '0 · 0%');
    const fill = h('span', { class: 'bar-fill' });
    const row = h('li', { class: 'bar-row', 'data-option': option.id },
      h('span', { class: 'bar-label' }, h('span', { class: 'bar-name' }, option.label), count),
      h('span', { class: 'bar-track', 'aria-hidden': 'true' }, fill));
    rows.set(option.id, { count, fill, row });
    list.append(row);
  }
  const total = h('span', { class: 'total', 'data-testid': 'total' }, '0 votes counted');
  const live = h('span', { class: 'live connecting', role: 'status' }, 'Connecting…');
  const element = h('section', { class: 'card results', 'aria-labelledby': 'results-title' },
    h('div', { class: 'card-head' }, h('h2', { id: 'results-title' }, 'Live results'), live),
    list, h('p', { class: 'muted' }, total));

  let lastVersion = -1;
  const render = (snapshot: Snapshot) => {
    if (snapshot.version < lastVersion) return;
    lastVersion = snapshot.version;
    const max = Math.max(1, ...Object.values(snapshot.counts));
    for (const [optionId, { count, fill, row }] of rows) {
      const n = snapshot.counts[optionId] ?? 0;
      count.textContent = `${n.toLocaleString('en')} · ${percent(n, snapshot.total)}`;
      fill.style.transform = `scaleX(${n / max})`;
      row.classList.toggle('leading', n > 0 && n === max);
    }
    total.textContent = `${snapshot.total.toLocaleString('en')} vote${snapshot.total === 1 ? '' : 's'} counted`;
    onSnapshot(snapshot);
  };

  const source = new EventSource(`/v1/elections/${encodeURIComponent(election.id)}/results/stream`);
  const setLive = (state: 'live' | 'connecting', text: string) => {
    live.className = `live ${state}`;
    live.textContent = text;
  };
  source.addEventListener('open', () => setLive('live', 'Live'));
  source.addEventListener('error', () => setLive('connecting', source.readyState === EventSource.CLOSED ? 'Disconnected' : 'Reconnecting…'));
  source.addEventListener('results', (event) => {
    setLive('live', 'Live');
    render(JSON.parse((event as MessageEvent<string>).data) as Snapshot);
  });
  return { element, close: () => source.close() };
}
