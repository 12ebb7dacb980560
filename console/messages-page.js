// #/messages: security messages as they arrive, newest first, with a per-minute chart and a pause.
import { api, onEvent } from './api.js';
import { debounce, el, formatTime } from './dom.js';
import { renderChart } from './events-chart.js';

const KEEP = 500;
const SHOWN = 100;

function messageItem(m) {
  return el('li', { class: 'message', 'data-seq': m.seq },
    el('div', { class: 'message-head' },
      el('time', { datetime: m.receivedAt }, formatTime(m.receivedAt)),
      el('span', { class: 'muted' }, ` ${m.deviceId}/${m.moduleId} · #${m.seq}`)),
    el('ul', { class: 'events', 'aria-label': 'Events' }, (m.events ?? []).map((e) => el('li', { class: 'event', 'data-event': e.name },
      el('strong', {}, e.name), el('span', { class: 'muted' }, ` ${e.category ?? ''} · ${e.hits} hit${e.hits === 1 ? '' : 's'}`)))),
    el('details', {}, el('summary', {}, 'JSON'),
      el('pre', {}, JSON.stringify({ properties: m.properties, body: m.body }, null, 2))));
}

export function renderMessages(root, { showError }) {
  let messages = [];
  let held = [];
  let paused = false;
  const filter = el('select', { id: 'event-filter' }, el('option', { value: '' }, 'All events'));
  const pause = el('button', { type: 'button', id: 'pause', 'aria-pressed': 'false', onclick: togglePause }, 'Pause');
  const status = el('p', { class: 'note', role: 'status', 'aria-live': 'polite', id: 'messages-status' });
  const chart = el('figure', { class: 'chart-box' });
  const list = el('ol', { class: 'messages', id: 'message-list', 'aria-label': 'Security messages, newest first' });
  root.append(
    el('h1', {}, 'Live security messages'),
    el('section', { 'aria-labelledby': 'chart-title' }, el('h2', { id: 'chart-title' }, 'Events per minute by name'), chart),
    el('div', { class: 'toolbar' }, el('label', { for: 'event-filter' }, 'Filter by event name'), filter, pause),
    status, list);

  function names() {
    return [...new Set(messages.flatMap((m) => (m.events ?? []).map((e) => e.name)))].sort();
  }

  function render() {
    const wanted = filter.value;
    const known = new Set([...filter.options].map((o) => o.value));
    for (const name of names()) if (!known.has(name)) filter.append(el('option', { value: name }, name));
    const shown = messages.filter((m) => !wanted || (m.events ?? []).some((e) => e.name === wanted)).slice(0, SHOWN);
    list.replaceChildren(...shown.map(messageItem));
    if (shown.length === 0) list.append(el('li', { class: 'muted' }, wanted ? `No ${wanted} message yet.` : 'No message yet: start an agent.'));
    status.textContent = paused ? `Paused: ${held.length} new message${held.length === 1 ? '' : 's'} held.`
      : `${messages.length} message${messages.length === 1 ? '' : 's'} kept (the hub keeps the last ${KEEP}).`;
    renderChart(chart, messages);
  }
  const renderSoon = debounce(render, 100);

  function togglePause() {
    paused = !paused;
    pause.textContent = paused ? 'Resume' : 'Pause';
    pause.setAttribute('aria-pressed', String(paused));
    if (!paused) {
      messages = [...held.reverse(), ...messages].slice(0, KEEP);
      held = [];
    }
    render();
  }

  filter.addEventListener('change', render);
  const off = onEvent('message', (m) => {
    if (messages.some((known) => known.seq === m.seq) || held.some((known) => known.seq === m.seq)) return;
    if (paused) held.push(m);
    else messages = [m, ...messages].slice(0, KEEP);
    renderSoon();
  });
  // The chart's minutes move on even when nothing arrives.
  const tick = setInterval(() => renderChart(chart, messages), 30_000);

  (async () => {
    try {
      const { items } = await api(`messages?limit=${KEEP}`);
      const seen = new Set(messages.map((m) => m.seq));
      messages = [...messages, ...items.filter((m) => !seen.has(m.seq))].sort((a, b) => b.seq - a.seq).slice(0, KEEP);
      render();
    } catch (err) {
      showError(err);
    }
  })();
  render();
  return () => {
    off();
    renderSoon.cancel();
    clearInterval(tick);
  };
}
