import type { ReportFormat } from './format.ts';
import type { Layout, Wording } from './templates.ts';
import { fill } from './templates.ts';
import { truncateToWidth, wrapToWidth } from './text.ts';

/** Line box height as a multiple of the font size (Noto Sans KR ascender 1.16 em + descender 0.288 em). */
export const LINE_FACTOR = 1.45;

export type Align = 'left' | 'right' | 'center';

export interface TextOptions {
  size?: number;
  bold?: boolean;
  color?: string;
  align?: Align;
  /** Cell width: text is aligned in it and never exceeds it (shrunk, then truncated with an ellipsis). */
  width?: number;
  /** Shrink the font down to layout.table.minFontSize before truncating (for numbers, which must stay whole). */
  shrink?: boolean;
}

export interface Column {
  header: string;
  width: number;
  align?: Align;
}

export interface Cell {
  text: string;
  color?: string;
  bold?: boolean;
}

export interface TableRow {
  cells: (string | Cell)[];
  /** A total row: bold, with a rule above. */
  total?: boolean;
}

export interface TableOptions {
  /** Shown instead of rows when there are none. */
  emptyText?: string;
  /** Rows kept together with the header on the first page (the table starts on a new page otherwise). */
  minRowsOnFirstPage?: number;
  /** Title shown, marked "(continued)", on the pages the table continues on (defaults to the table title). */
  continuedTitle?: string;
}

/**
 * Widths of text measured in the report's fonts, by font, size and text, shared by every document this
 * process renders: the fonts are the same two files for every document and language, so a width measured
 * once is the width pdfkit would measure again. A month's team pack is a document per team (40 at 10,000
 * GPUs) that measures mostly the same labels, and measuring shapes the text with fontkit each time, which
 * was most of a team page's CPU (issue #18). Bounded: cleared when full.
 */
const measuredWidths = new Map<string, number>();
const MEASURED_WIDTHS_KEPT = 50_000;

/**
 * A thin drawing surface over a pdfkit document: one-line text that never overflows its cell, wrapped
 * paragraphs, headings, and tables that paginate with the header repeated. All text is placed with
 * explicit coordinates and lineBreak: false, so pdfkit never adds pages or wraps on its own.
 */
export class Canvas {
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
  readonly width: number;
  /** Cursor: the top of the next block on the current page. */
  y: number;

  constructor(
    readonly doc: PDFKit.PDFDocument,
    readonly layout: Layout,
    readonly wording: Wording,
    readonly fmt: ReportFormat,
  ) {
    const { page } = layout;
    this.left = page.margin.left;
    this.right = page.width - page.margin.right;
    this.top = page.margin.top;
    this.bottom = page.height - page.margin.bottom;
    this.width = this.right - this.left;
    this.y = this.top;
  }

  /** Starts a new page and puts the cursor at its top. */
  newPage(): void {
    const { page } = this.layout;
    this.doc.addPage({ size: [page.width, page.height], margins: page.margin });
    this.y = this.top;
  }

  /** Starts a new page when fewer than `height` points are left on this one. */
  ensureSpace(height: number): void {
    if (this.y + height > this.bottom) this.newPage();
  }

  /** Room left on the current page below the cursor. */
  get remaining(): number {
    return this.bottom - this.y;
  }

  /** The font of {@link useFont} as a key of {@link measuredWidths}. */
  #fontKey = '';

  useFont(bold: boolean, size: number): void {
    this.doc.font(bold ? 'bold' : 'regular').fontSize(size);
    this.#fontKey = `${bold ? 'b' : 'r'}${size}:`;
  }

  /** Width of `text` in the font of the last {@link useFont} (pdfkit's widthOfString, remembered). */
  widthOf(text: string): number {
    const key = this.#fontKey + text;
    let width = measuredWidths.get(key);
    if (width === undefined) {
      if (this.#fontKey === '') throw new Error('widthOf needs a font: call useFont first');
      width = this.doc.widthOfString(text);
      if (measuredWidths.size >= MEASURED_WIDTHS_KEPT) measuredWidths.clear();
      measuredWidths.set(key, width);
    }
    return width;
  }

  /** Width of `text` in the given font. */
  measure(text: string, bold = false, size: number = this.layout.fontSize.body): number {
    this.useFont(bold, size);
    return this.widthOf(text);
  }

  /** Height of one line of text of `size`. */
  lineHeight(size: number): number {
    return size * LINE_FACTOR;
  }

  /** The y at which to draw text of `size` so that its capitals are centered on `centerY`. */
  textTopForCenter(centerY: number, size: number): number {
    return centerY - size * 0.79;
  }

  /**
   * Draws one line of text whose line box starts at y. With a width, the text is aligned inside it and
   * shrunk or truncated so it cannot spill into the next cell. Returns the width drawn.
   */
  text(text: string, x: number, y: number, options: TextOptions = {}): number {
    const bold = options.bold ?? false;
    let size = options.size ?? this.layout.fontSize.body;
    let line = text;
    if (options.width !== undefined) {
      const width = Math.max(0, options.width);
      if (options.shrink) {
        const min = this.layout.table.minFontSize;
        while (size > min && this.measure(line, bold, size) > width) size = Math.max(min, size - 0.25);
      }
      this.useFont(bold, size);
      line = truncateToWidth(line, width, (s) => this.widthOf(s));
    }
    if (!line) return 0;
    this.useFont(bold, size);
    const drawn = this.widthOf(line);
    let dx = 0;
    if (options.width !== undefined && options.align === 'right') dx = options.width - drawn;
    if (options.width !== undefined && options.align === 'center') dx = (options.width - drawn) / 2;
    this.doc.fillColor(options.color ?? this.layout.colors.text).text(line, x + dx, y, { lineBreak: false });
    return drawn;
  }

  /** Wraps `text` into lines of at most `width` (and `maxLines`), returning them without drawing. */
  wrap(
    text: string,
    width: number,
    options: { size?: number; bold?: boolean; maxLines?: number } = {},
  ): string[] {
    const size = options.size ?? this.layout.fontSize.body;
    this.useFont(options.bold ?? false, size);
    return wrapToWidth(text, width, (s) => this.widthOf(s), options.maxLines);
  }

  /** Draws a wrapped paragraph at the cursor (moving to a new page first if it does not fit) and advances it. */
  paragraph(
    text: string,
    options: {
      size?: number;
      bold?: boolean;
      color?: string;
      x?: number;
      width?: number;
      gapAfter?: number;
    } = {},
  ): void {
    const size = options.size ?? this.layout.fontSize.body;
    const x = options.x ?? this.left;
    const width = options.width ?? this.right - x;
    const lines = this.wrap(text, width, { size, bold: options.bold ?? false });
    const lineHeight = this.lineHeight(size);
    this.ensureSpace(Math.min(lines.length, 3) * lineHeight);
    for (const line of lines) {
      this.ensureSpace(lineHeight);
      this.text(line, x, this.y, {
        size,
        bold: options.bold ?? false,
        color: options.color ?? this.layout.colors.text,
        width,
      });
      this.y += lineHeight;
    }
    this.y += options.gapAfter ?? 4;
  }

  /** The page title block: a large title, a muted subtitle and a rule. */
  pageTitle(title: string, subtitle: string): void {
    const { fontSize, colors } = this.layout;
    this.text(title, this.left, this.y, {
      size: fontSize.pageTitle,
      bold: true,
      color: colors.accent,
      width: this.width,
    });
    this.y += this.lineHeight(fontSize.pageTitle);
    for (const line of this.wrap(subtitle, this.width, { size: fontSize.body, maxLines: 3 })) {
      this.text(line, this.left, this.y, { size: fontSize.body, color: colors.muted, width: this.width });
      this.y += this.lineHeight(fontSize.body);
    }
    this.y += 4;
    this.rule(this.y);
    this.y += 10;
  }

  /** A section heading with an optional muted note under it; keeps `keepWith` points of content on the same page. */
  heading(title: string, note?: string, keepWith = 60): void {
    const { fontSize, colors } = this.layout;
    const noteLines = note ? this.wrap(note, this.width, { size: fontSize.small, maxLines: 3 }) : [];
    const height = this.lineHeight(fontSize.heading) + noteLines.length * this.lineHeight(fontSize.small) + 4;
    this.ensureSpace(height + keepWith);
    this.text(title, this.left, this.y, {
      size: fontSize.heading,
      bold: true,
      color: colors.text,
      width: this.width,
    });
    this.y += this.lineHeight(fontSize.heading);
    for (const line of noteLines) {
      this.text(line, this.left, this.y, { size: fontSize.small, color: colors.muted, width: this.width });
      this.y += this.lineHeight(fontSize.small);
    }
    this.y += 4;
  }

  /** A horizontal hairline across the content width. */
  rule(y: number, color: string = this.layout.colors.rule, x0 = this.left, x1 = this.right): void {
    this.doc.save().moveTo(x0, y).lineTo(x1, y).lineWidth(0.6).strokeColor(color).stroke().restore();
  }

  /** A filled rectangle. */
  box(x: number, y: number, width: number, height: number, color: string): void {
    if (width <= 0 || height <= 0) return;
    this.doc.save().rect(x, y, width, height).fillColor(color).fill().restore();
  }

  /**
   * The height {@link table} takes on one page for `rows` rows (0: its "no data" row), with its title:
   * for laying out a page before drawing it.
   */
  tableHeight(title: string | null, columns: Column[], rows: number): number {
    const { titleHeight, headerHeight, rowHeight } = this.tableLayout(columns);
    const body = rows === 0 ? rowHeight + 6 : rows * rowHeight + 8;
    return (title ? titleHeight : 0) + headerHeight + body;
  }

  /** Column positions and header and row metrics of a table (headers shrink until every word fits). */
  private tableLayout(columns: Column[]) {
    const { fontSize, table } = this.layout;
    const scale = this.width / columns.reduce((sum, c) => sum + c.width, 0);
    const widths = columns.map((c) => c.width * scale);
    const xs = widths.map((_, i) => this.left + widths.slice(0, i).reduce((a, b) => a + b, 0));
    const pad = table.cellPadding;
    // Headers wrap at spaces only: shrink the header font until every word fits its column.
    let headerSize = fontSize.small;
    const widestWordOverflows = () =>
      columns.some((c, i) =>
        c.header.split(' ').some((word) => this.measure(word, true, headerSize) > widths[i]! - 2 * pad),
      );
    while (headerSize > table.minFontSize && widestWordOverflows())
      headerSize = Math.max(table.minFontSize, headerSize - 0.25);
    const headerLines = columns.map((c, i) =>
      this.wrap(c.header, widths[i]! - 2 * pad, { size: headerSize, bold: true, maxLines: 2 }),
    );
    const headerLineHeight = this.lineHeight(headerSize);
    const headerRows = Math.max(1, ...headerLines.map((l) => l.length));
    return {
      widths,
      xs,
      pad,
      headerSize,
      headerLines,
      headerLineHeight,
      headerRows,
      headerHeight: headerRows * headerLineHeight + 6,
      rowHeight: table.rowHeight,
      titleHeight: this.lineHeight(fontSize.heading) + 4,
    };
  }

  /**
   * Draws a table at the cursor. Rows that do not fit go to the next page under a repeated
   * "(continued)" title and header. Column widths are scaled to the content width.
   */
  table(title: string | null, columns: Column[], rows: TableRow[], options: TableOptions = {}): void {
    const { fontSize, colors } = this.layout;
    const size = fontSize.table;
    const {
      widths,
      xs,
      pad,
      headerSize,
      headerLines,
      headerLineHeight,
      headerRows,
      headerHeight,
      rowHeight,
      titleHeight,
    } = this.tableLayout(columns);
    const continuedTitle = options.continuedTitle ?? title;

    const drawHeader = (continued: boolean) => {
      const text = continued
        ? continuedTitle
          ? fill(this.wording.common.continued, { title: continuedTitle })
          : null
        : title;
      if (text) {
        this.text(text, this.left, this.y, { size: fontSize.heading, bold: true, width: this.width });
        this.y += titleHeight;
      }
      headerLines.forEach((lines, i) => {
        const col = columns[i]!;
        // Bottom-align header lines so one- and two-line headers share a baseline.
        const offset = (headerRows - lines.length) * headerLineHeight;
        lines.forEach((line, j) => {
          this.text(line, xs[i]! + pad, this.y + 2 + offset + j * headerLineHeight, {
            size: headerSize,
            bold: true,
            color: colors.muted,
            width: widths[i]! - 2 * pad,
            align: col.align ?? 'left',
          });
        });
      });
      this.y += headerHeight;
      this.rule(this.y - 1, colors.text);
    };

    const firstRows = Math.min(rows.length, options.minRowsOnFirstPage ?? 3);
    this.ensureSpace((title ? titleHeight : 0) + headerHeight + Math.max(1, firstRows) * rowHeight);
    drawHeader(false);

    if (rows.length === 0) {
      this.text(
        options.emptyText ?? this.wording.common.noData,
        this.left + pad,
        this.textTopForCenter(this.y + rowHeight / 2, size),
        {
          size,
          color: colors.muted,
          width: this.width - 2 * pad,
        },
      );
      this.y += rowHeight + 6;
      return;
    }

    rows.forEach((row, r) => {
      if (this.y + rowHeight > this.bottom) {
        this.newPage();
        drawHeader(true);
      }
      if (row.total) this.rule(this.y, colors.text);
      else if (r % 2 === 1) this.box(this.left, this.y, this.width, rowHeight, colors.band);
      const textY = this.textTopForCenter(this.y + rowHeight / 2, size);
      row.cells.forEach((cell, i) => {
        if (i >= columns.length) return;
        const c = typeof cell === 'string' ? { text: cell } : cell;
        const align = columns[i]!.align ?? 'left';
        this.text(c.text, xs[i]! + pad, textY, {
          size,
          bold: row.total || c.bold,
          color: c.color ?? colors.text,
          width: widths[i]! - 2 * pad,
          align,
          shrink: align === 'right',
        });
      });
      this.y += rowHeight;
    });
    this.rule(this.y, colors.rule);
    this.y += 8;
  }
}
