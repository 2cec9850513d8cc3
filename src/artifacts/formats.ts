// The file formats courier writes, in one table: each capture format's MIME
// type and file extension, and the one rule that turns a title into a file
// name people see (an attached PDF, an inline image). The renderer, the
// artifact store, the HTTP server, the processors and the email channel all
// read them from here.

export const FORMATS = {
  png: { mime: 'image/png', extension: 'png' },
  jpeg: { mime: 'image/jpeg', extension: 'jpg' },
  pdf: { mime: 'application/pdf', extension: 'pdf' },
} as const;

export type CaptureFormat = keyof typeof FORMATS;
export type Mime = (typeof FORMATS)[CaptureFormat]['mime'];
export type ImageFormat = Exclude<CaptureFormat, 'pdf'>;
export type ImageMime = (typeof FORMATS)[ImageFormat]['mime'];

/** One captured file, as the renderer makes it and the artifact store keeps it. */
export interface Capture {
  format: CaptureFormat;
  mime: Mime;
  data: Buffer;
  /** Pixel size of an image (element size × deviceScaleFactor); for a PDF, its page size in CSS px. */
  width: number;
  height: number;
  /** Page count of a PDF, null for images. */
  pages: number | null;
}

export function mimeOf<F extends CaptureFormat>(format: F): (typeof FORMATS)[F]['mime'] {
  return FORMATS[format].mime;
}

export function extensionOf(format: CaptureFormat): string {
  return FORMATS[format].extension;
}

/** The format of an image MIME type. */
export function imageFormatOf(mime: ImageMime): ImageFormat {
  return mime === FORMATS.jpeg.mime ? 'jpeg' : 'png';
}

/** The format of a file by its extension (`.jpeg` as well as `.jpg`), or null for anything courier does not write. */
export function formatOfFileName(name: string): CaptureFormat | null {
  const extension = name.slice(name.lastIndexOf('.') + 1).toLowerCase();
  if (extension === 'jpeg') return 'jpeg';
  return (Object.keys(FORMATS) as CaptureFormat[]).find((format) => FORMATS[format].extension === extension) ?? null;
}

/** The MIME type of a stored file by its extension, or null for anything courier does not write. */
export function mimeOfFileName(name: string): Mime | null {
  const format = formatOfFileName(name);
  return format === null ? null : mimeOf(format);
}

/**
 * A file name people see for an attachment: the title without accents or
 * anything but letters, digits, space, `_ . -`, spaces as `-`, never hidden
 * or option-like (no leading `.` or `-`), at most 80 characters, then the
 * format's extension. `fallback` names a title with nothing left.
 */
export function attachmentFileName(title: string, format: CaptureFormat, fallback = 'story'): string {
  const stem = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9 _.-]+/g, '')
    .trim()
    .replace(/\s+/g, '-')
    .replace(/^[.-]+/, '')
    .slice(0, 80);
  return `${stem || fallback}.${extensionOf(format)}`;
}
