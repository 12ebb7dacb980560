// Events per minute by name as stacked SVG bars, hand-drawn: a chart library would outweigh the console.
import { el, svg } from './dom.js';

const MINUTES = 15;
const WIDTH = 640;
const HEIGHT = 180;
const PAD = { left: 36, right: 8, top: 10, bottom: 22 };
const SERIES = 8;

/** counts[minute index][name] of events received in the last MINUTES minutes, oldest minute first. */
export function bucketEvents(messages, now) {
  const end = Math.floor(now / 60_000);
  const buckets = Array.from({ length: MINUTES }, () => new Map());
  for (const m of messages) {
    const minute = Math.floor(Date.parse(m.receivedAt) / 60_000);
    const index = MINUTES - 1 - (end - minute);
    if (index < 0 || index >= MINUTES) continue;
    for (const e of m.events ?? []) buckets[index].set(e.name, (buckets[index].get(e.name) ?? 0) + 1);
  }
  return { buckets, end };
}

export function renderChart(root, messages, now = Date.now()) {
  const { buckets, end } = bucketEvents(messages, now);
  const names = [...new Set(buckets.flatMap((b) => [...b.keys()]))].sort();
  const max = Math.max(1, ...buckets.map((b) => [...b.values()].reduce((a, n) => a + n, 0)));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const barW = plotW / MINUTES;
  const shapes = [
    svg('line', { x1: PAD.left, y1: PAD.top + plotH, x2: WIDTH - PAD.right, y2: PAD.top + plotH, class: 'axis' }),
    svg('text', { x: PAD.left - 4, y: PAD.top + 8, class: 'tick end', text: String(max) }),
    svg('text', { x: PAD.left - 4, y: PAD.top + plotH, class: 'tick end', text: '0' }),
  ];
  buckets.forEach((bucket, i) => {
    let y = PAD.top + plotH;
    for (const name of names) {
      const count = bucket.get(name) ?? 0;
      if (count === 0) continue;
      const h = (count / max) * plotH;
      y -= h;
      shapes.push(svg('rect', {
        x: PAD.left + i * barW + 2, y, width: barW - 4, height: h, class: `series-${names.indexOf(name) % SERIES}`,
      }, svg('title', { text: `${name}: ${count} in the minute from ${new Date((end - MINUTES + 1 + i) * 60_000).toLocaleTimeString()}` })));
    }
    if ((MINUTES - 1 - i) % 5 === 0) {
      shapes.push(svg('text', { x: PAD.left + (i + 0.5) * barW, y: HEIGHT - 6, class: 'tick middle', text: i === MINUTES - 1 ? 'now' : `-${MINUTES - 1 - i}m` }));
    }
  });
  const total = buckets.reduce((a, b) => a + [...b.values()].reduce((x, n) => x + n, 0), 0);
  root.replaceChildren(
    svg('svg', {
      viewBox: `0 0 ${WIDTH} ${HEIGHT}`, class: 'chart', role: 'img',
      'aria-label': `Events per minute over the last ${MINUTES} minutes by name: ${total} events`,
    }, shapes),
    el('ul', { class: 'legend', 'aria-label': 'Chart legend: event names' }, names.map((name, i) =>
      el('li', {}, el('span', { class: `swatch series-${i % SERIES}` }), name))),
  );
}
