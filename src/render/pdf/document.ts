import { readFileSync } from 'node:fs';
import PDFDocument from 'pdfkit';
import type { Layout } from './templates.ts';
import { resolveFontPaths } from './templates.ts';

/**
 * A report document of `layout` (pages added by the caller, buffered for the page frames) with the
 * report's fonts registered as "regular" and "bold", and the bytes it produces once ended. Shared by the
 * executive report and the team pages.
 */
export function openReportDocument(
  layout: Layout,
  locale: string,
  info: PDFKit.DocumentInfo,
): { doc: PDFKit.PDFDocument; finished: Promise<Buffer> } {
  const doc = new PDFDocument({
    size: [layout.page.width, layout.page.height],
    margins: layout.page.margin,
    autoFirstPage: false,
    bufferPages: true,
    lang: locale,
    displayTitle: true,
    info,
  });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const finished = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const fonts = fontBytes();
  doc.registerFont('regular', fonts.regular);
  doc.registerFont('bold', fonts.bold);
  return { doc, finished };
}

let fontFiles: { regular: Buffer; bold: Buffer } | undefined;

/**
 * The report's two font files, read once per process: pdfkit reads a font given by its path again for
 * every document (a month's team pack is a document per team), and a Buffer is what it makes of the path.
 */
function fontBytes(): { regular: Buffer; bold: Buffer } {
  if (!fontFiles) {
    const paths = resolveFontPaths();
    fontFiles = { regular: readFileSync(paths.regular), bold: readFileSync(paths.bold) };
  }
  return fontFiles;
}
