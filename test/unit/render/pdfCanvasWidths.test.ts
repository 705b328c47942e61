import { describe, expect, it, vi } from 'vitest';
import { Canvas } from '../../../src/render/pdf/canvas.ts';
import { openReportDocument } from '../../../src/render/pdf/document.ts';
import { createReportFormat } from '../../../src/render/pdf/format.ts';
import { reportLayout, wordingFor } from '../../../src/render/pdf/templates.ts';

/** A canvas over a new report document (as each team page has its own). */
async function newCanvas(): Promise<Canvas> {
  const layout = reportLayout();
  const wording = wordingFor('en');
  const { doc } = await openReportDocument(layout, wording.locale, { Title: 'widths' });
  return new Canvas(doc, layout, wording, createReportFormat(wording.locale, 'USD', 2, wording.common.none));
}

describe('Canvas.widthOf', () => {
  it("is pdfkit's widthOfString in the current font and size", async () => {
    const canvas = await newCanvas();
    const text = `widths ${Math.random()}`;
    for (const [bold, size] of [
      [false, 9],
      [true, 9],
      [false, 13.25],
    ] as const) {
      canvas.useFont(bold, size);
      expect(canvas.widthOf(text)).toBe(canvas.doc.widthOfString(text));
    }
  });

  it('tells fonts and sizes apart', async () => {
    const canvas = await newCanvas();
    const text = `Wide Words ${Math.random()}`;
    canvas.useFont(false, 9);
    const regular = canvas.widthOf(text);
    canvas.useFont(true, 9);
    const bold = canvas.widthOf(text);
    canvas.useFont(false, 18);
    const large = canvas.widthOf(text);
    expect(bold).not.toBe(regular);
    expect(large).toBeCloseTo(regular * 2, 9);
  });

  it("measures a text once per font and size across documents (a team pack's pages share their labels)", async () => {
    const text = `ml-training-team ${Math.random()}`;
    const first = await newCanvas();
    first.useFont(false, 9);
    const width = first.widthOf(text);
    const second = await newCanvas();
    const measured = vi.spyOn(second.doc, 'widthOfString');
    second.useFont(false, 9);
    expect(second.widthOf(text)).toBe(width);
    expect(measured).not.toHaveBeenCalled();
    second.useFont(true, 9);
    second.widthOf(text);
    expect(measured).toHaveBeenCalledTimes(1);
  });
});
