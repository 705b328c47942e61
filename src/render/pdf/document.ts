import { readFileSync } from 'node:fs';
import type PDFDocumentClass from 'pdfkit';
import { type ShapingFont, skipInertCcmp } from './shaping.ts';
import type { Layout } from './templates.ts';
import { resolveFontPaths } from './templates.ts';

let pdfkitClass: typeof PDFDocumentClass | undefined;

/**
 * pdfkit, imported when the first document is opened rather than when the CLI starts: loading it (with
 * fontkit, restructure and the Unicode tables they unpack) is about 90 ms that `--help`,
 * `validate-config`, `get` and `deliver` never need. An `import()` esbuild can see, so that the packaged
 * Lambdas still ship pdfkit (serverless-esbuild packs an external package only when the bundle imports it).
 */
async function pdfkit(): Promise<typeof PDFDocumentClass> {
  pdfkitClass ??= (await import('pdfkit')).default;
  return pdfkitClass;
}

/** pdfkit loaded and the fonts' bytes read, as the first document would (a worker thread's warm-up). */
export async function preloadPdfKit(): Promise<void> {
  await pdfkit();
  fontBytes();
}

/**
 * A report document of `layout` (pages added by the caller, buffered for the page frames) with the
 * report's fonts registered as "regular" and "bold", and the bytes it produces once ended. Shared by the
 * executive report and the team pages.
 */
export async function openReportDocument(
  layout: Layout,
  locale: string,
  info: PDFKit.DocumentInfo,
  options: { shareFonts?: boolean } = {},
): Promise<{ doc: PDFKit.PDFDocument; finished: Promise<Buffer> }> {
  const PDFDocument = await pdfkit();
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
  if (options.shareFonts !== false) {
    const select = doc.font.bind(doc) as (src: string, ...rest: unknown[]) => PDFKit.PDFDocument;
    doc.font = ((src: string, ...rest: unknown[]) => {
      select(src, ...rest);
      if (src === 'regular' || src === 'bold') shareParsedFont(doc, src);
      return doc;
    }) as PDFKit.PDFDocument['font'];
  }
  return { doc, finished };
}

/** The parts of pdfkit's EmbeddedFont (pdfkit 0.17, js/pdfkit.js) that two documents of one font file can share. */
interface EmbeddedFontParts {
  /** The parsed font (fontkit). */
  font: { createSubset(): unknown };
  /** The glyphs this document embeds: its own. */
  subset: unknown;
  /** Each word's glyphs and positions, laid out by fontkit once (absent with `fontLayoutCache: false`). */
  layoutCache?: Record<string, unknown>;
}

/** Per registered font name: the parsed font and the word layouts every document of this process uses. */
const sharedFonts = new Map<
  string,
  { font: EmbeddedFontParts['font']; layoutCache: Record<string, unknown> }
>();
const sharedAlready = new WeakSet<object>();
/** Bounded: a process that renders many documents starts a new cache of word layouts past this size. */
const WORD_LAYOUTS_KEPT = 50_000;

/**
 * Makes the font `doc` has just selected by name use the parsed font and the word layouts of every other
 * document of this process, instead of parsing the font file and laying out (shaping with fontkit) every
 * word again: most of a team page's CPU, a document per team in a month's team pack (issue #18). Each
 * document keeps its own subset of glyphs, widths and ids, so its bytes are the same; pdfkit never changes
 * a cached layout (it copies a position it adjusts). Done when the font is first selected, before any
 * glyph is embedded; skipped, leaving pdfkit's own behaviour, if its internals are not as expected.
 */
function shareParsedFont(doc: PDFKit.PDFDocument, name: string): void {
  const current = (doc as unknown as { _font?: Partial<EmbeddedFontParts> })._font;
  if (!current || sharedAlready.has(current)) return;
  sharedAlready.add(current);
  const { font, layoutCache } = current;
  if (!font || typeof font.createSubset !== 'function' || !current.subset || !layoutCache) return;
  let shared = sharedFonts.get(name);
  if (!shared || Object.keys(shared.layoutCache).length > WORD_LAYOUTS_KEPT) {
    shared = { font: shared?.font ?? font, layoutCache };
    sharedFonts.set(name, shared);
  }
  if (font !== shared.font) {
    current.font = shared.font;
    current.subset = shared.font.createSubset();
  }
  current.layoutCache = shared.layoutCache;
  skipInertCcmp(shared.font as unknown as ShapingFont);
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
