// The desired-properties editor: JSON text checked as you type (syntax here, schema on the hub), saved as a patch.
import { api } from './api.js';
import { debounce, el } from './dom.js';
import { diffPatch, editable, format, syntaxProblem } from './desired-document.js';
import { attachCompletion } from './key-completion.js';

export function createDesiredEditor({ keys, onMarks, onSave }) {
  let baseline = {};
  let parsed = {};
  let invalid = [];
  let rejected = [];
  let pending = false;
  let ticket = 0;
  const textarea = el('textarea', { id: 'desired-json', spellcheck: 'false', rows: 24, 'aria-describedby': 'desired-errors desired-help' });
  const backdrop = el('pre', { class: 'backdrop', 'aria-hidden': 'true' });
  const errors = el('ul', { id: 'desired-errors', class: 'errors', 'aria-live': 'polite' });
  const summary = el('p', { class: 'note', id: 'patch-summary' });
  const save = el('button', { type: 'button', class: 'primary', id: 'save-desired', onclick: () => send(false) }, 'Save');
  const force = el('button', {
    type: 'button', class: 'danger', id: 'save-anyway', hidden: true, onclick: () => send(true),
    title: 'Sends the patch although the schema rejects it, to see the agent answer failed',
  }, 'Save anyway (the agent will report failed)');
  const revert = el('button', { type: 'button', onclick: () => setText(format(baseline)) }, 'Revert');
  const completion = attachCompletion(textarea, keys, () => changed());

  const element = el('div', { class: 'desired-editor' },
    el('label', { for: 'desired-json' }, 'Desired properties (JSON)'),
    el('p', { id: 'desired-help', class: 'muted small' }, 'Type " to complete a key; removing a key sends null, which deletes it.'),
    el('div', { class: 'editor' }, backdrop, textarea),
    completion, errors, summary,
    el('div', { class: 'buttons' }, save, force, revert));

  function setText(text) {
    textarea.value = text;
    changed();
  }

  /** key -> its marks: 'invalid' (schema, before sending) and/or 'rejected' (the agent's latest_invalid_fields) */
  function badKeys() {
    const bad = new Map();
    const add = (key, kind) => bad.set(key, [...(bad.get(key) ?? []), kind]);
    for (const key of rejected) add(key, 'rejected');
    for (const f of invalid) add(f.key, 'invalid');
    return bad;
  }

  // The textarea is transparent over a mirror of its text in which the bad keys are marked.
  function paintBackdrop() {
    const bad = badKeys();
    const text = textarea.value;
    const nodes = [];
    let last = 0;
    for (const match of text.matchAll(/"([^"\\\n]*)"(?=\s*:)/g)) {
      const kinds = bad.get(match[1]);
      if (!kinds) continue;
      nodes.push(text.slice(last, match.index), el('mark', { class: kinds.join(' '), 'data-key': match[1] }, match[0]));
      last = match.index + match[0].length;
    }
    nodes.push(text.slice(last), '\n');
    backdrop.replaceChildren(...nodes);
    backdrop.scrollTop = textarea.scrollTop;
    onMarks(bad);
  }

  function renderErrors(syntax) {
    const items = syntax ? [el('li', { class: 'syntax' }, syntax)]
      : invalid.map((f) => el('li', { 'data-key': f.key }, el('code', {}, f.key || '(document)'), ` ${f.message}`));
    errors.replaceChildren(...items);
  }

  function refreshButtons(syntax) {
    const patch = syntax ? {} : diffPatch(baseline, parsed);
    const count = Object.keys(patch).length;
    const busy = pending;
    save.disabled = Boolean(syntax) || busy || invalid.length > 0 || count === 0;
    force.hidden = Boolean(syntax) || busy || invalid.length === 0 || count === 0;
    summary.textContent = syntax ? 'Fix the JSON to save.'
      : busy ? 'Checking against the twin schema…'
        : count === 0 ? 'No changes.'
          : `${count} key${count === 1 ? '' : 's'} changed: ${Object.keys(patch).join(', ')}${invalid.length ? ' (invalid: Save is disabled)' : ''}`;
  }

  const validate = debounce(async () => {
    const mine = ++ticket;
    try {
      const result = await api('validate-desired', { method: 'POST', body: parsed });
      if (mine !== ticket) return;
      invalid = result.valid ? [] : result.invalidFields;
    } catch (err) {
      if (mine !== ticket) return;
      invalid = [{ key: '', message: `could not validate: ${err.message}` }];
    }
    pending = false;
    renderErrors();
    paintBackdrop();
    refreshButtons();
  }, 300);

  function changed() {
    const result = syntaxProblem(textarea.value);
    if (result.message) {
      validate.cancel();
      ticket++;
      pending = false;
      invalid = [];
      renderErrors(result.message);
      paintBackdrop();
      refreshButtons(result.message);
      return;
    }
    parsed = result.value;
    pending = true;
    refreshButtons();
    validate();
    paintBackdrop();
  }

  async function send(anyway) {
    const patch = diffPatch(baseline, parsed);
    if (Object.keys(patch).length === 0 || (!anyway && invalid.length > 0)) return;
    save.disabled = true;
    force.hidden = true;
    await onSave(patch);
    changed();
  }

  textarea.addEventListener('input', changed);
  textarea.addEventListener('scroll', () => { backdrop.scrollTop = textarea.scrollTop; });

  return {
    element,
    /** New desired from the hub; the text follows it unless the user has unsaved edits. */
    setBaseline(desired) {
      const next = editable(desired);
      // Unsaved edits are kept; a text that says what the hub already had follows the hub.
      const current = syntaxProblem(textarea.value).value;
      const clean = textarea.value === '' || (current !== undefined && Object.keys(diffPatch(baseline, current)).length === 0);
      baseline = next;
      if (!clean) changed();
      else if (textarea.value !== format(baseline)) setText(format(baseline));
      else refreshButtons();
      return clean;
    },
    setRejected(fields) {
      rejected = Array.isArray(fields) ? fields : [];
      paintBackdrop();
    },
    /** Inserts `"key": default` from the key list at the end of the object. */
    insertKey(key) {
      const text = textarea.value;
      const close = text.lastIndexOf('}');
      if (close < 0 || (parsed && key.name in parsed)) return textarea.focus();
      const body = text.slice(0, close).trimEnd();
      const comma = body.endsWith('{') ? '' : ',';
      setText(`${body}${comma}\n  "${key.name}": ${JSON.stringify(key.default ?? null)}\n}`);
      textarea.focus();
    },
  };
}
