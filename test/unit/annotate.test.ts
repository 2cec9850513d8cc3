import { describe, expect, it } from 'vitest';
import { annotationNodes } from '../../src/browser/annotate.js';
import { validateJob } from '../../src/contracts/index.js';

function annotationsOf(list: unknown[]) {
  return validateJob('screenshot', { url: '/demo', annotations: list }).annotations;
}

describe('annotation geometry', () => {
  it('draws each shape with its colour and stroke width (defaults from the contract)', () => {
    const nodes = annotationNodes(
      annotationsOf([
        { type: 'rect', x: 10, y: 20, width: 100, height: 50 },
        { type: 'ellipse', x: 0, y: 0, width: 40, height: 20, color: '#00ff00', strokeWidth: 5 },
        { type: 'line', from: [0, 0], to: [10, 10] },
        { type: 'path', points: [[0, 0], [5, 5], [10, 0]] },
      ]),
    );
    expect(nodes.map((n) => n.tag)).toEqual(['rect', 'ellipse', 'line', 'polyline']);
    expect(nodes[0]?.attrs).toMatchObject({ x: '10', y: '20', width: '100', height: '50', stroke: '#e5484d', 'stroke-width': '3', fill: 'none' });
    expect(nodes[1]?.attrs).toMatchObject({ cx: '20', cy: '10', rx: '20', ry: '10', stroke: '#00ff00', 'stroke-width': '5' });
    expect(nodes[3]?.attrs.points).toBe('0,0 5,5 10,0');
  });

  it('ends an arrow in a filled head whose tip is the "to" point', () => {
    const [shaft, head] = annotationNodes(annotationsOf([{ type: 'arrow', from: [0, 0], to: [100, 0], strokeWidth: 3 }]));
    expect(shaft?.tag).toBe('line');
    expect(Number(shaft?.attrs.x2)).toBeLessThan(100);
    expect(head?.tag).toBe('polygon');
    expect(head?.attrs.points?.startsWith('100,0 ')).toBe(true);
    expect(head?.attrs.fill).toBe('#e5484d');
  });

  it('keeps text as text content, never as markup', () => {
    const [text] = annotationNodes(annotationsOf([{ type: 'text', at: [5, 5], text: '<img src=x onerror=alert(1)>' }]));
    expect(text?.text).toBe('<img src=x onerror=alert(1)>');
    expect(Object.values(text?.attrs ?? {}).join(' ')).not.toContain('<img');
  });

  it('refuses an unknown shape as INVALID_JOB', () => {
    expect(() => annotationsOf([{ type: 'star', x: 1 }])).toThrow(/^INVALID_JOB: .*annotations\.0\.type/);
  });
});
