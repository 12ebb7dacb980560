// The twin schema's keys beside the editor: type, default, allowed range; bad keys marked.
import { el } from './dom.js';

export function rangeOf(key) {
  if (key.enum) return key.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (key.minimum !== undefined || key.maximum !== undefined) return `${key.minimum ?? '…'} to ${key.maximum ?? '…'}`;
  if (key.pattern) return 'pattern (see the description)';
  return '';
}

function facts(key) {
  const range = rangeOf(key);
  return `${key.type} · default ${JSON.stringify(key.default)}${range ? ` · ${range}` : ''}`;
}

export function renderKeyList(root, keys, onPick) {
  let scroller;
  let lastBad = '';
  const filter = el('input', { id: 'key-filter', type: 'search', placeholder: 'filter keys', autocomplete: 'off' });
  const rows = keys.map((key) => el('li', { 'data-key': key.name },
    el('button', { type: 'button', class: 'link', title: key.description ?? '', onclick: () => onPick(key) }, key.name),
    el('span', { class: 'mark' }),
    el('span', { class: 'facts' }, facts(key))));
  root.append(
    el('h2', { id: 'keys-title' }, 'Twin keys'),
    el('p', { class: 'muted small', id: 'keys-help' }, 'Type, default and allowed values; press a key to add it with its default.'),
    el('label', { for: 'key-filter', class: 'visually-hidden' }, 'Filter twin keys'), filter,
    scroller = el('div', { class: 'scroll' }, el('ul', { class: 'keys', 'aria-describedby': 'keys-help' }, rows)));
  filter.addEventListener('input', () => {
    const needle = filter.value.trim().toLowerCase();
    for (const row of rows) row.hidden = needle !== '' && !row.dataset.key.toLowerCase().includes(needle);
  });
  return {
    /** bad: Map of key -> ['invalid' (schema, before sending)?, 'rejected' (the agent's latest_invalid_fields)?] */
    mark(bad) {
      for (const row of rows) {
        const kinds = bad.get(row.dataset.key) ?? [];
        row.classList.toggle('invalid', kinds.includes('invalid'));
        row.classList.toggle('rejected', kinds.includes('rejected'));
      }
      // Bring the first bad key into the list's view when the set of bad keys changes, not on every keystroke.
      const signature = [...bad.keys()].join(',');
      const first = rows.find((row) => bad.has(row.dataset.key));
      if (signature !== lastBad && first) scroller.scrollTop = first.offsetTop - scroller.offsetTop - 8;
      lastBad = signature;
    },
  };
}
