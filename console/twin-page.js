// #/devices/<d>/modules/<m>: desired editor and schema keys beside the live reported side.
import { api, enc, onEvent } from './api.js';
import { createDesiredEditor } from './desired-editor.js';
import { el } from './dom.js';
import { renderKeyList } from './key-list.js';
import { renderReported } from './reported-view.js';

let schemaKeys;

export function renderTwin(root, deviceId, moduleId, { showError, clearError }) {
  const base = `devices/${enc(deviceId)}/modules/${enc(moduleId)}`;
  const reportedBox = el('section', { class: 'reported', 'aria-labelledby': 'reported-title' });
  const desiredBox = el('section', { class: 'desired', 'aria-labelledby': 'desired-title' });
  const keysBox = el('section', { class: 'schema-keys', 'aria-labelledby': 'keys-title' });
  const versions = el('p', { class: 'muted', id: 'twin-versions' });
  root.append(
    el('p', {}, el('a', { href: '#/devices' }, '← Devices')),
    el('h1', {}, `Module twin: ${deviceId} / ${moduleId}`),
    versions,
    el('div', { class: 'twin-grid' }, desiredBox, keysBox, reportedBox),
  );
  let alive = true;
  let twin;
  let editor;
  let keyList;
  // After a save, the state shown is "pending" until the agent reports again.
  let pendingSince;

  function showReported() {
    const reported = twin.properties.reported ?? {};
    const pending = pendingSince !== undefined && (reported.$version ?? 0) <= pendingSince;
    renderReported(reportedBox, reported, pending);
    editor.setRejected(pending ? [] : reported.latest_invalid_fields);
    versions.textContent = `desired $version ${twin.properties.desired?.$version ?? 0} · reported $version ${reported.$version ?? 0}`;
  }

  const newer = (a, b) => ((b?.$version ?? 0) > (a?.$version ?? 0) ? b : a);

  async function save(patch) {
    clearError();
    try {
      pendingSince = twin.properties.reported?.$version ?? 0;
      const answer = await api(`${base}/twin/desired`, { method: 'PATCH', body: patch });
      if (!alive) return;
      // The agent may answer (a live twin event) before this response arrives: keep the newer side of each.
      twin = { ...answer, properties: { desired: newer(answer.properties.desired, twin.properties.desired), reported: newer(answer.properties.reported, twin.properties.reported) } };
      editor.setBaseline(twin.properties.desired);
      showReported();
    } catch (err) {
      pendingSince = undefined;
      showError(err);
    }
  }

  async function start() {
    try {
      schemaKeys ??= (await api('twin-schema')).keys;
      twin = await api(`${base}/twin`);
    } catch (err) {
      showError(err);
      return;
    }
    if (!alive) return;
    keyList = renderKeyList(keysBox, schemaKeys, (key) => editor.insertKey(key));
    editor = createDesiredEditor({ keys: schemaKeys, onMarks: (bad) => keyList.mark(bad), onSave: save });
    desiredBox.append(el('h2', { id: 'desired-title' }, 'Desired'), editor.element);
    editor.setBaseline(twin.properties.desired);
    showReported();
  }

  const off = onEvent('twin', (change) => {
    if (!twin || change.deviceId !== deviceId || change.moduleId !== moduleId) return;
    twin = { ...twin, properties: { desired: change.desired, reported: change.reported } };
    editor.setBaseline(change.desired);
    showReported();
  });
  const offIdentity = onEvent('identity', (change) => {
    if (change.deviceId === deviceId && change.moduleId === moduleId && change.change === 'deleted') {
      showError(`The module identity ${deviceId}/${moduleId} was deleted.`);
    }
  });
  start();
  return () => {
    alive = false;
    off();
    offIdentity();
  };
}
