/**
 * Documents of one process share the parsed report fonts and their word layouts (document.ts
 * shareParsedFont): a document drawn after others is byte for byte the document drawn on its own, with
 * pdfkit parsing the font and laying out every word itself.
 */
import { describe, expect, it } from 'vitest';
import { Canvas } from '../../../src/render/pdf/canvas.ts';
import { openReportDocument } from '../../../src/render/pdf/document.ts';
import { createReportFormat } from '../../../src/render/pdf/format.ts';
import { reportLayout, wordingFor } from '../../../src/render/pdf/templates.ts';

const DATE = new Date(Date.UTC(2026, 9, 31));

/** A page of text in both fonts and several sizes: words other documents drew, and words of its own. */
async function drawn(
  lines: string[],
  shareFonts: boolean,
): Promise<{ doc: PDFKit.PDFDocument; bytes: Promise<Buffer> }> {
  const layout = reportLayout();
  const wording = wordingFor('ko');
  const { doc, finished } = await openReportDocument(
    layout,
    wording.locale,
    { Title: 'shared fonts', CreationDate: DATE, ModDate: DATE },
    { shareFonts },
  );
  const canvas = new Canvas(doc, layout, wording, createReportFormat(wording.locale, 'USD', 2, '-'));
  canvas.newPage();
  lines.forEach((line, i) => {
    canvas.useFont(i % 2 === 1, 8 + (i % 3) * 2);
    doc.text(line, canvas.left, canvas.top + i * 20, { lineBreak: false });
  });
  doc.end();
  return { doc, bytes: finished };
}

const fontOf = (doc: PDFKit.PDFDocument) => (doc as unknown as { _font: { font: unknown } })._font.font;

describe('report documents share the parsed fonts', () => {
  it('draws a document after others byte for byte as on its own', async () => {
    const first = ['GPU 비용 보고서 vision team 1,234.56', 'search-ranking 42 GPU-hours', 'idle 3.5 %'];
    const second = ['vision team 9,876.54 GPU-hours', '검색 랭킹 search-ranking', 'idle 12 % of 42 GPUs'];
    const warm = await drawn(first, true);
    await warm.bytes;
    const shared = await drawn(second, true);
    const alone = await drawn(second, false);
    const [sharedBytes, aloneBytes] = await Promise.all([shared.bytes, alone.bytes]);
    expect(sharedBytes.length).toBeGreaterThan(1000);
    expect(sharedBytes.equals(aloneBytes)).toBe(true);
    // The second document used the first one's parsed font; the unshared one parsed its own.
    expect(fontOf(shared.doc)).toBe(fontOf(warm.doc));
    expect(fontOf(alone.doc)).not.toBe(fontOf(warm.doc));
  });
});
