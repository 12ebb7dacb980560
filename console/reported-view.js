// The reported side: the configuration decision up front, then the agent and its collectors' states.
import { el } from './dom.js';

function stateBanner(reported, pending) {
  const state = pending ? 'pending' : reported.latest_state ?? 'none';
  const text = pending ? 'pending: waiting for the agent to report'
    : state === 'none' ? 'no report from the agent yet' : state;
  const invalid = Array.isArray(reported.latest_invalid_fields) ? reported.latest_invalid_fields : [];
  return el('div', { class: `latest-state state-${state}`, id: 'latest-state', 'data-latest-state': state, 'data-reported-version': reported.$version ?? 0, role: 'status', 'aria-live': 'polite' },
    el('span', { class: 'label' }, 'latest_state'),
    el('strong', { class: 'value' }, text),
    !pending && invalid.length > 0 && el('div', { class: 'invalid-fields' }, 'latest_invalid_fields: ',
      invalid.map((k) => el('code', { class: 'rejected-key', 'data-key': k }, k))));
}

function agentTable(agent) {
  if (!agent || typeof agent !== 'object') return null;
  return el('dl', { class: 'agent' }, Object.entries(agent).flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, String(v))]));
}

function settingsCell(entry) {
  const settings = entry.settings && typeof entry.settings === 'object' ? Object.entries(entry.settings) : [];
  if (settings.length === 0) return el('td', { class: 'muted' }, '—');
  return el('td', {}, el('details', {},
    el('summary', {}, `${settings.length} setting${settings.length === 1 ? '' : 's'}`),
    el('ul', { class: 'settings' }, settings.map(([k, v]) => el('li', {}, el('code', {}, k), ` ${JSON.stringify(v)}`)))));
}

function collectorsTable(collectors) {
  if (!collectors || typeof collectors !== 'object') return el('p', { class: 'muted' }, 'No collector states reported yet.');
  const rows = Object.entries(collectors).map(([name, entry]) => el('tr', { 'data-collector': name },
    el('th', { scope: 'row' }, name),
    el('td', {}, el('span', { class: `badge collector-${entry?.state ?? 'unknown'}` }, entry?.state ?? 'unknown')),
    el('td', {}, [entry?.detail ?? '', ...(Array.isArray(entry?.no_effect) ? entry.no_effect.map((n) => el('div', { class: 'muted small' }, n)) : [])]),
    settingsCell(entry ?? {})));
  return el('table', { class: 'collectors' },
    el('caption', {}, 'Collectors'),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Collector'), el('th', { scope: 'col' }, 'State'),
      el('th', { scope: 'col' }, 'Detail'), el('th', { scope: 'col' }, 'Settings'))),
    el('tbody', {}, rows));
}

export function renderReported(root, reported, pending) {
  const open = root.querySelector('details.raw')?.open ?? false;
  root.replaceChildren(
    el('h2', { id: 'reported-title' }, 'Reported (live)'),
    stateBanner(reported, pending),
    agentTable(reported.agent),
    collectorsTable(reported.collectors),
    el('details', { class: 'raw', open }, el('summary', {}, 'Reported JSON'), el('pre', {}, JSON.stringify(reported, null, 2))),
  );
}
