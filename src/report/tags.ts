// Tags: the report's logical structure, for screen readers, reflow and
// accessibility checkers (PDF 1.7, §14.7 and §14.8). pdf-lib can neither
// make a structure tree nor keep one it embeds (pdf-lib issues #756 and
// #402), so it is built here from pdf-lib's low-level objects:
//
//  - every drawing is wrapped in a marked-content sequence: `/H2 <</MCID 3>>
//    BDC … EMC` when it is content (the number ties it to its structure
//    element), `/Artifact BMC … EMC` when it is decoration or pagination
//    (rules, footers, running headers), which readers skip;
//  - structure elements (`/Type /StructElem`) form the tree under a
//    StructTreeRoot: Document > Sect per part > H1/H2, P, TOC, Figure;
//  - the ParentTree (a number tree) maps each page's StructParents key and
//    MCID back to its element, as readers look content up that way.
//
// A vector story is Chromium's own tagged PDF of the story, drawn as a form
// XObject. Its tags are kept: its structure elements are copied under the
// story's section (its headings moved below the page heading), their
// marked content found through the XObject's own StructParents (§14.7.4.3),
// and its Figures given alternative text. So the story's text stays real
// text inside the tags, and a chart stays a Figure with /Alt. When a capture
// has no tags, the whole story is one Figure.
//
// Pages are tagged one at a time from a per-page record (which story, its
// heading or a continuation, the alternative text), so a story laid over
// several pages joins one section.
import {
  PDFArray,
  PDFDict,
  PDFHexString,
  PDFName,
  PDFNull,
  PDFNumber,
  PDFObjectCopier,
  PDFOperator,
  PDFOperatorNames,
  PDFRef,
  PDFStream,
  PDFString,
  type PDFContext,
  type PDFDocument,
  type PDFEmbeddedPage,
  type PDFObject,
  type PDFPage,
} from 'pdf-lib';
import type { Box } from './layout.js';
import type { PageTags, StoryAlt } from './types.js';

/** A structure element being built: its dictionary, its kids, where it lives. */
export interface Elem {
  ref: PDFRef;
  dict: PDFDict;
  kids: PDFArray;
}

export type ArtifactKind = 'Pagination' | 'Layout';

const N = (name: string) => PDFName.of(name);
const TEXT_KEYS = ['Alt', 'ActualText', 'Lang', 'E', 'T'] as const;

/** What a vector capture's tags became in the report, to reuse when the same capture is drawn again (a story over several pages). */
interface Adoption {
  /** Per copied element: its kids and the MCIDs it had on the capture's page. */
  marked: { kids: PDFArray; mcids: number[] }[];
  /** The capture's ParentTree entry for its page, as report elements (index: MCID). */
  byMcid: (PDFRef | null)[];
}

export class ReportTags {
  readonly root: Elem;
  private readonly context: PDFContext;
  private readonly rootRef: PDFRef;
  /** ParentTree entries by key: per page (index = MCID) or per form XObject. */
  private readonly parents: (PDFRef | null)[][] = [];
  private readonly pageKeys = new Map<PDFPage, number>();
  private readonly xobjectKeys = new Map<PDFRef, number>();
  private readonly adoptions = new Map<PDFDocument, Adoption>();
  private readonly sections = new Map<number, Elem>();

  /** `storyHeading`: H2 under a cover (whose title is the H1), else H1. */
  constructor(
    private readonly doc: PDFDocument,
    lang: string,
    private readonly storyHeading: 'H1' | 'H2',
  ) {
    this.context = doc.context;
    this.rootRef = this.context.nextRef();
    this.root = this.element('Document', null);
    this.root.dict.set(N('Lang'), PDFString.of(lang));
  }

  /** A structure element under `parent` (the StructTreeRoot when null). */
  element(type: string, parent: Elem | null, props: { alt?: string; bbox?: Box } = {}): Elem {
    const kids = this.context.obj([]);
    const dict = this.context.obj({ Type: 'StructElem', S: type, P: parent ? parent.ref : this.rootRef, K: kids });
    if (props.alt !== undefined) dict.set(N('Alt'), PDFHexString.fromText(props.alt));
    if (props.bbox) dict.set(N('A'), layoutBox(this.context, props.bbox));
    const ref = this.context.register(dict);
    parent?.kids.push(ref);
    return { ref, dict, kids };
  }

  /** Draws `draw`'s output as content of `elem`: one marked-content sequence with the next MCID of the page. */
  mark<T>(page: PDFPage, elem: Elem, draw: () => T): T {
    const key = this.pageKey(page);
    const entries = this.parents[key] as (PDFRef | null)[];
    const mcid = entries.length;
    entries.push(elem.ref);
    if (!elem.dict.has(N('Pg'))) elem.dict.set(N('Pg'), page.ref);
    // An MCID of another page needs a marked-content reference naming that page.
    const onOwnPage = elem.dict.get(N('Pg')) === page.ref;
    elem.kids.push(onOwnPage ? PDFNumber.of(mcid) : this.context.obj({ Type: 'MCR', Pg: page.ref, MCID: mcid }));
    return this.wrap(page, elem.dict.lookup(N('S'), PDFName), this.context.obj({ MCID: mcid }), draw);
  }

  /** Draws `draw`'s output as an artifact: seen on paper, skipped by readers (rules, footers, repeated headers). */
  artifact<T>(page: PDFPage, draw: () => T, kind: ArtifactKind = 'Layout'): T {
    return this.wrap(page, N('Artifact'), this.context.obj({ Type: kind }), draw);
  }

  /** `tag <<properties>> BDC`, the drawing, `EMC`. */
  private wrap<T>(page: PDFPage, tag: PDFName, properties: PDFDict, draw: () => T): T {
    // An inline property list is what PDF asks for here (§14.6.2); pdf-lib's
    // operator type leaves dictionaries out, but writes any PDF object.
    const args = [tag, properties as unknown as PDFName];
    page.pushOperators(PDFOperator.of(PDFOperatorNames.BeginMarkedContentSequence, args));
    const result = draw();
    page.pushOperators(PDFOperator.of(PDFOperatorNames.EndMarkedContent));
    return result;
  }

  /** The section of story `index` (made on its first page): the page heading and the story go in it. */
  section(index: number): Elem {
    let sect = this.sections.get(index);
    if (!sect) {
      sect = this.element('Sect', this.root);
      this.sections.set(index, sect);
    }
    return sect;
  }

  /** The page's title: the story's heading on its first page, a running header (artifact) on the next ones. */
  storyTitle<T>(page: PDFPage, record: PageTags, draw: () => T): T {
    if (!record.heading) return this.artifact(page, draw, 'Pagination');
    return this.mark(page, this.element(this.storyHeading, this.section(record.story)), draw);
  }

  /** A picture of the story (a raster capture): one Figure with alternative text. */
  storyFigure<T>(page: PDFPage, record: PageTags, box: Box, draw: () => T): T {
    const alt = record.alt.description ?? record.alt.generated;
    return this.mark(page, this.element('Figure', this.section(record.story), { alt, bbox: box }), draw);
  }

  /**
   * A vector story: `embedded` is page 0 of `source` (Chromium's PDF of the
   * story) as drawn on `page` by `draw`. Its tags join the story's section;
   * without tags, the story is one Figure.
   */
  storyVector<T>(page: PDFPage, record: PageTags, source: PDFDocument, embedded: PDFEmbeddedPage, box: Box, draw: () => T): T {
    if (this.xobjectKeys.has(embedded.ref)) return this.storyFigure(page, record, box, draw);
    // The capture's marked content, now inside the form XObject, is found through the XObject's own key.
    const mcr = (mcid: number) => this.context.obj({ Type: 'MCR', Pg: page.ref, Stm: embedded.ref, MCID: mcid });
    let adoption = this.adoptions.get(source);
    if (adoption) {
      // The same story drawn again (its next part on the next page): its elements gain this page's content.
      for (const { kids, mcids } of adoption.marked) for (const mcid of mcids) kids.push(mcr(mcid));
    } else {
      adoption = this.adopt(source, this.section(record.story), record.alt, mcr) ?? undefined;
      if (!adoption) return this.storyFigure(page, record, box, draw);
      this.adoptions.set(source, adoption);
    }
    this.xobjectKeys.set(embedded.ref, this.parents.push(adoption.byMcid) - 1);
    return draw();
  }

  /**
   * Writes the tree: StructTreeRoot, ParentTree, each page's and XObject's
   * StructParents, MarkInfo. Call once every page is drawn, before save().
   */
  async finish(): Promise<void> {
    // Embedded pages become form XObjects only when flushed: flush now to give them their keys.
    await this.doc.flush();
    for (const [ref, key] of this.xobjectKeys) {
      const xobject = this.context.lookup(ref);
      if (xobject instanceof PDFStream) xobject.dict.set(N('StructParents'), PDFNumber.of(key));
    }
    for (const [page, key] of this.pageKeys) {
      page.node.set(N('StructParents'), PDFNumber.of(key));
      // Tab order follows the structure (PDF/UA asks it of every page).
      page.node.set(N('Tabs'), N('S'));
    }
    const nums: PDFObject[] = [];
    this.parents.forEach((entries, key) => {
      nums.push(PDFNumber.of(key), this.context.register(this.context.obj(entries.map((ref) => ref ?? PDFNull))));
    });
    this.context.assign(
      this.rootRef,
      this.context.obj({
        Type: 'StructTreeRoot',
        K: this.root.ref,
        ParentTree: this.context.register(this.context.obj({ Nums: nums })),
        ParentTreeNextKey: this.parents.length,
      }),
    );
    this.doc.catalog.set(N('StructTreeRoot'), this.rootRef);
    this.doc.catalog.set(N('MarkInfo'), this.context.obj({ Marked: true }));
  }

  private pageKey(page: PDFPage): number {
    let key = this.pageKeys.get(page);
    if (key === undefined) {
      key = this.parents.push([]) - 1;
      this.pageKeys.set(page, key);
    }
    return key;
  }

  /**
   * Copies the tags of `source`'s first page under `sect`: null when it has
   * none to keep. Headings move below the page heading (the story's H1
   * becomes an H3 under a cover); Figures get alternative text.
   */
  private adopt(source: PDFDocument, sect: Elem, alt: StoryAlt, mcr: (mcid: number) => PDFDict): Adoption | null {
    const tree = source.catalog.lookupMaybe(N('StructTreeRoot'), PDFDict);
    const page = source.getPages()[0];
    const entries = tree && page ? parentTreeEntry(source.context, tree, page.node.get(N('StructParents'))) : null;
    if (!tree || !entries) return null;

    const copier = PDFObjectCopier.for(source.context, this.context);
    const shift = this.storyHeading === 'H1' ? 1 : 2;
    const copied = new Map<PDFRef | PDFDict, PDFRef>();
    const marked: Adoption['marked'] = [];
    const figures: PDFDict[] = [];
    const top: PDFRef[] = [];
    let lang: PDFObject | undefined;

    const copy = (from: PDFDict, parent: PDFRef, self: PDFRef | PDFDict): PDFRef => {
      const type = from.lookup(N('S'), PDFName).decodeText();
      const heading = /^H([1-6])$/.exec(type);
      const kids = this.context.obj([]);
      const dict = this.context.obj({ Type: 'StructElem', S: heading ? `H${Math.min(6, Number(heading[1]) + shift)}` : type, P: parent, K: kids });
      for (const key of TEXT_KEYS) {
        const value = from.get(N(key));
        if (value) dict.set(N(key), copier.copy(value));
      }
      for (const key of ['A', 'C'] as const) {
        const value = from.get(N(key));
        if (value) dict.set(N(key), copier.copy(value));
      }
      const ref = this.context.register(dict);
      copied.set(self, ref);
      const mcids: number[] = [];
      for (const kid of kidsOf(from.get(N('K')))) {
        const value = kid instanceof PDFRef ? source.context.lookup(kid) : kid;
        // Content stays where it was among the element's kids (a background before a heading…).
        if (value instanceof PDFNumber) {
          mcids.push(value.asNumber());
          kids.push(mcr(value.asNumber()));
        } else if (value instanceof PDFDict) {
          const kind = value.lookupMaybe(N('Type'), PDFName)?.decodeText();
          if (kind === 'MCR') {
            const mcid = value.lookupMaybe(N('MCID'), PDFNumber);
            if (mcid) {
              mcids.push(mcid.asNumber());
              kids.push(mcr(mcid.asNumber()));
            }
          } else if (kind !== 'OBJR' && value.has(N('S'))) {
            // Annotations (OBJR) are not carried over with the page: their references go too.
            kids.push(copy(value, ref, kid instanceof PDFRef ? kid : value));
          }
        }
      }
      if (mcids.length > 0) marked.push({ kids, mcids });
      if (type === 'Figure') figures.push(dict);
      return ref;
    };

    // Chromium's tree is StructTreeRoot > Document > …: the Document's kids join the section, with its language.
    for (const kid of kidsOf(tree.get(N('K')))) {
      const elem = kid instanceof PDFRef ? source.context.lookup(kid) : kid;
      if (!(elem instanceof PDFDict)) continue;
      const isDocument = elem.lookupMaybe(N('S'), PDFName)?.decodeText() === 'Document';
      if (isDocument) lang = elem.get(N('Lang'));
      const children = isDocument ? kidsOf(elem.get(N('K'))) : [kid];
      for (const child of children) {
        const value = child instanceof PDFRef ? source.context.lookup(child) : child;
        if (value instanceof PDFDict && value.has(N('S'))) top.push(copy(value, sect.ref, child instanceof PDFRef ? child : value));
      }
    }
    if (top.length === 0) return null;
    // No Figure in the story's own tags: with the job's description, the
    // whole story becomes one (the author said what it shows); without, its
    // text is read as it is.
    let parent = sect;
    if (figures.length === 0 && alt.description) parent = this.element('Figure', sect, { alt: alt.description });
    for (const ref of top) {
      const dict = this.context.lookup(ref, PDFDict);
      dict.set(N('P'), parent.ref);
      // The story's own language (its page's), which may not be the report's.
      if (lang && !dict.has(N('Lang'))) dict.set(N('Lang'), copier.copy(lang));
      parent.kids.push(ref);
    }
    figures.forEach((figure, i) => {
      const own = figure.lookupMaybe(N('Alt'), PDFString, PDFHexString)?.decodeText().trim();
      // The job's description (of the story's chart) wins on the first Figure; the story's own accessible name next.
      const text = (i === 0 ? alt.description : undefined) ?? (own || alt.generated);
      figure.set(N('Alt'), PDFHexString.fromText(text));
    });
    const byMcid = entries.map((entry) => (entry ? (copied.get(entry) ?? null) : null));
    return { marked, byMcid };
  }
}

/** A /K value as a list: an array's items, one item, or nothing. */
function kidsOf(k: PDFObject | undefined): PDFObject[] {
  if (!k) return [];
  return k instanceof PDFArray ? k.asArray() : [k];
}

/** The ParentTree's entry for `key` (a page's StructParents): per MCID, its element (a ref, or the dict itself). */
function parentTreeEntry(context: PDFContext, tree: PDFDict, key: PDFObject | undefined): (PDFRef | PDFDict | null)[] | null {
  const wanted = key instanceof PDFRef ? context.lookup(key) : key;
  if (!(wanted instanceof PDFNumber)) return null;
  const search = (node: PDFDict, depth: number): PDFArray | null => {
    const nums = node.lookupMaybe(N('Nums'), PDFArray);
    if (nums) {
      for (let i = 0; i + 1 < nums.size(); i += 2) {
        const k = nums.lookup(i);
        if (k instanceof PDFNumber && k.asNumber() === wanted.asNumber()) return nums.lookupMaybe(i + 1, PDFArray) ?? null;
      }
    }
    const kids = node.lookupMaybe(N('Kids'), PDFArray);
    if (!kids || depth > 32) return null;
    for (let i = 0; i < kids.size(); i++) {
      const found = search(kids.lookup(i, PDFDict), depth + 1);
      if (found) return found;
    }
    return null;
  };
  const root = tree.lookupMaybe(N('ParentTree'), PDFDict);
  const entry = root ? search(root, 0) : null;
  if (!entry) return null;
  return entry.asArray().map((item) => (item instanceof PDFRef || item instanceof PDFDict ? item : null));
}

/** A Layout attribute with the element's box on its page (x1 y1 x2 y2), as checkers and reflow expect of Figures. */
function layoutBox(context: PDFContext, box: Box): PDFDict {
  const round = (n: number) => Math.round(n * 100) / 100;
  return context.obj({ O: 'Layout', BBox: [round(box.x), round(box.y), round(box.x + box.width), round(box.y + box.height)] });
}
