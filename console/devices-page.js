// #/devices: a paged, searchable list of devices and their DefenderIotMicroAgent module identity.
import { api, enc, onEvent } from './api.js';
import { debounce, el, formatTime } from './dom.js';

export const AGENT_MODULE = 'DefenderIotMicroAgent';
const PAGE_SIZE = 20;

export function renderDevices(root, { showError, clearError }) {
  const state = { search: '', page: 0, total: 0, shown: new Set() };
  const search = el('input', { id: 'device-search', type: 'search', placeholder: 'part of a device id', autocomplete: 'off' });
  const note = el('p', { class: 'note', role: 'status', 'aria-live': 'polite' });
  const body = el('tbody');
  const range = el('span', { class: 'range' });
  const prev = el('button', { type: 'button', onclick: () => go(state.page - 1) }, 'Previous page');
  const next = el('button', { type: 'button', onclick: () => go(state.page + 1) }, 'Next page');
  const addAll = el('button', { type: 'button', class: 'primary', onclick: addToAll }, `Add ${AGENT_MODULE} to all devices that lack it`);

  root.append(
    el('h1', {}, 'Devices'),
    el('div', { class: 'toolbar' },
      el('label', { for: 'device-search' }, 'Search devices'), search, addAll),
    note,
    el('table', { class: 'devices' },
      el('caption', { class: 'visually-hidden' }, 'Devices and their agent module'),
      el('thead', {}, el('tr', {},
        el('th', { scope: 'col' }, 'Device'), el('th', { scope: 'col' }, AGENT_MODULE),
        el('th', { scope: 'col' }, 'Connection'), el('th', { scope: 'col' }, 'Last activity'), el('th', { scope: 'col' }, 'Actions'))),
      body),
    el('div', { class: 'pager' }, prev, range, next),
  );

  let alive = true;
  /** Connection strings the user chose to see, by device, kept across reloads. */
  const shownSecrets = new Map();
  async function load() {
    try {
      const query = `devices?search=${enc(state.search)}&page=${state.page}&pageSize=${PAGE_SIZE}`;
      const result = await api(query);
      if (!alive) return;
      state.total = result.total;
      if (result.items.length === 0 && state.page > 0) return go(state.page - 1);
      body.replaceChildren(...result.items.flatMap(row));
      if (result.items.length === 0) body.append(el('tr', {}, el('td', { colspan: 5 }, state.search ? 'No device matches.' : 'No devices yet.')));
      const first = result.total === 0 ? 0 : state.page * PAGE_SIZE + 1;
      range.textContent = `${first}–${state.page * PAGE_SIZE + result.items.length} of ${result.total}`;
      prev.disabled = state.page === 0;
      next.disabled = (state.page + 1) * PAGE_SIZE >= result.total;
    } catch (err) {
      showError(err);
    }
  }

  function go(pageNumber) {
    state.page = Math.max(0, pageNumber);
    return load();
  }

  function row(device) {
    const id = device.deviceId;
    const twinHref = `#/devices/${enc(id)}/modules/${AGENT_MODULE}`;
    const connection = el('td', {}, el('span', { class: `conn conn-${device.connectionState === 'Connected' ? 'on' : 'off'}` }, device.connectionState));
    const actions = el('td', { class: 'actions' });
    const secret = el('tr', { class: 'secret-row', hidden: true });
    if (device.hasAgentModule) {
      actions.append(
        el('a', { href: twinHref, class: 'button-link' }, 'Open twin'),
        el('button', { type: 'button', onclick: () => toggleSecret(id, secret) }, 'Show connection string'),
        el('button', { type: 'button', class: 'danger', onclick: () => removeModule(id) }, 'Delete module'),
      );
    } else {
      actions.append(el('button', { type: 'button', class: 'primary', onclick: () => addModule(id) }, `Add ${AGENT_MODULE}`));
    }
    // A live reload redraws the rows: a connection string the user opened stays open.
    if (device.hasAgentModule && shownSecrets.has(id)) showSecret(id, secret);
    else shownSecrets.delete(id);
    const tr = el('tr', { 'data-device': id },
      el('th', { scope: 'row' }, id),
      el('td', {}, device.hasAgentModule ? el('a', { href: twinHref }, 'yes') : el('span', { class: 'muted' }, 'no')),
      connection,
      el('td', {}, formatTime(device.lastActivityTime)),
      actions);
    return [tr, secret];
  }

  async function addModule(deviceId) {
    clearError();
    try {
      await api(`devices/${enc(deviceId)}/modules/${AGENT_MODULE}`, { method: 'PUT' });
      note.textContent = `Added ${AGENT_MODULE} to ${deviceId}.`;
      await load();
    } catch (err) {
      showError(err);
    }
  }

  async function addToAll() {
    clearError();
    addAll.disabled = true;
    try {
      const { added } = await api('agent-modules', { method: 'POST' });
      note.textContent = `Added ${AGENT_MODULE} to ${added} device${added === 1 ? '' : 's'}.`;
      await load();
    } catch (err) {
      showError(err);
    } finally {
      addAll.disabled = false;
    }
  }

  async function removeModule(deviceId) {
    if (!window.confirm(`Delete the module identity ${AGENT_MODULE} of ${deviceId}? Its twin and key are lost; a running agent is disconnected.`)) return;
    clearError();
    try {
      await api(`devices/${enc(deviceId)}/modules/${AGENT_MODULE}`, { method: 'DELETE' });
      note.textContent = `Deleted ${AGENT_MODULE} of ${deviceId}.`;
      await load();
    } catch (err) {
      showError(err);
    }
  }

  async function toggleSecret(deviceId, secretRow) {
    if (!secretRow.hidden) {
      shownSecrets.delete(deviceId);
      secretRow.hidden = true;
      secretRow.replaceChildren();
      return;
    }
    try {
      const { connectionString } = await api(`devices/${enc(deviceId)}/modules/${AGENT_MODULE}/connection-string`);
      shownSecrets.set(deviceId, connectionString);
      // A live reload may have redrawn the rows while this was asked: fill the row shown now.
      const current = body.querySelector(`tr[data-device="${CSS.escape(deviceId)}"]`)?.nextElementSibling;
      showSecret(deviceId, current ?? secretRow).select();
    } catch (err) {
      showError(err);
    }
  }

  /** Fills the row under a device with its connection string; returns the field. */
  function showSecret(deviceId, secretRow) {
    const field = el('input', { type: 'text', readonly: true, value: shownSecrets.get(deviceId), class: 'secret', 'aria-label': `Connection string of ${deviceId}` });
    secretRow.replaceChildren(el('td', { colspan: 5 }, el('label', {}, 'Connection string (a secret: the module key) ', field)));
    secretRow.hidden = false;
    return field;
  }

  search.addEventListener('input', debounce(() => {
    state.search = search.value.trim();
    go(0);
  }, 250));
  // Identity and connection changes come live; a burst is folded into one reload.
  const reload = debounce(load, 300);
  const offs = [onEvent('identity', reload), onEvent('connection', reload)];
  load();
  return () => {
    alive = false;
    reload.cancel();
    for (const off of offs) off();
  };
}
