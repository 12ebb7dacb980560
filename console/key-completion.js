// Key-name completion for the desired JSON textarea: a listbox of schema keys that inserts `"Key": <default>`.
import { el } from './dom.js';

const MAX_SUGGESTIONS = 8;

/** The partial key being typed at the caret (`"Heart|`), when the caret is where an object key belongs. */
export function keyAtCaret(text, caret) {
  const match = /"([A-Za-z0-9_]*)$/.exec(text.slice(0, caret));
  if (!match) return undefined;
  const before = text.slice(0, match.index).trimEnd();
  if (before !== '' && !before.endsWith('{') && !before.endsWith(',')) return undefined;
  const rest = /^[A-Za-z0-9_]*"?/.exec(text.slice(caret))[0];
  const end = caret + rest.length;
  // Inside an existing key (`"He|artbeat": 1`) only the name is replaced; its value stays.
  const hasValue = rest.endsWith('"') && /^\s*:/.test(text.slice(end));
  return { partial: match[1], start: match.index, end, hasValue };
}

export function attachCompletion(textarea, keys, onInsert) {
  const list = el('ul', { id: `${textarea.id}-completion`, class: 'completion', role: 'listbox', 'aria-label': 'Twin keys', hidden: true });
  // A multi-line textbox keeps its role; aria-autocomplete and aria-activedescendant announce the suggestions.
  textarea.setAttribute('aria-autocomplete', 'list');
  textarea.setAttribute('aria-controls', list.id);
  let current = { items: [], active: 0, at: undefined };

  function close() {
    list.hidden = true;
    list.replaceChildren();
    textarea.removeAttribute('aria-activedescendant');
    current = { items: [], active: 0, at: undefined };
  }

  function render() {
    list.replaceChildren(...current.items.map((key, i) => el('li', {
      id: `${list.id}-${i}`, role: 'option', 'aria-selected': i === current.active ? 'true' : 'false', 'data-key': key.name,
      onmousedown: (event) => { event.preventDefault(); accept(i); },
    }, el('span', { class: 'key-name' }, key.name), el('span', { class: 'muted' }, ` ${key.type} · default ${JSON.stringify(key.default)}`))));
    list.hidden = false;
    textarea.setAttribute('aria-activedescendant', `${list.id}-${current.active}`);
  }

  function update() {
    const at = keyAtCaret(textarea.value, textarea.selectionStart);
    if (!at || textarea.selectionStart !== textarea.selectionEnd) return close();
    const needle = at.partial.toLowerCase();
    const present = new Set([...textarea.value.matchAll(/"([A-Za-z0-9_]+)"\s*:/g)].map((m) => m[1]));
    const items = keys
      .filter((k) => !present.has(k.name) && k.name.toLowerCase().includes(needle))
      .sort((a, b) => Number(!a.name.toLowerCase().startsWith(needle)) - Number(!b.name.toLowerCase().startsWith(needle)))
      .slice(0, MAX_SUGGESTIONS);
    if (items.length === 0) return close();
    current = { items, active: 0, at };
    render();
  }

  function accept(index) {
    const key = current.items[index];
    const at = current.at;
    if (!key || !at) return;
    const insert = at.hasValue ? `"${key.name}"` : `"${key.name}": ${JSON.stringify(key.default ?? null)}`;
    textarea.setRangeText(insert, at.start, at.end, 'end');
    close();
    textarea.focus();
    onInsert();
  }

  textarea.addEventListener('input', update);
  textarea.addEventListener('click', update);
  textarea.addEventListener('blur', close);
  textarea.addEventListener('keydown', (event) => {
    if (list.hidden) return;
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      const step = event.key === 'ArrowDown' ? 1 : -1;
      current.active = (current.active + step + current.items.length) % current.items.length;
      render();
    } else if (event.key === 'Enter' || event.key === 'Tab') {
      event.preventDefault();
      accept(current.active);
    } else if (event.key === 'Escape') {
      event.preventDefault();
      close();
    }
  });
  return list;
}
