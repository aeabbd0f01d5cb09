// The demo shop's vocabulary: types, colours, patterns, brands and title filler.
// Brands and filler never contain a colour, pattern or type word, so a title mentions an
// attribute exactly when the generator chose to (truth.jsonl's title_mentions_* stay honest).

/** A garment or accessory type of the demo shop. */
export interface DemoType {
  /** Type key used in truth and intents. */
  key: string;
  /** Words a title may use (synonyms, title case). */
  titleWords: readonly string[];
  /** Words a query may use, canonical first. */
  queryWords: readonly string[];
  /** Category paths the type is listed under. */
  categories: readonly string[];
  /** Price range [low, high]. */
  price: readonly [number, number];
  /** Materials that may appear in attributes. */
  materials: readonly string[];
}

/** A colour with its real RGB value. */
export interface DemoColour {
  /** Colour key. */
  key: string;
  /** Fill as #rrggbb. */
  rgb: string;
  /** Words a title may use. */
  titleWords: readonly string[];
  /** Words a query may use, canonical first. */
  queryWords: readonly string[];
}

/** A pattern drawn inside the silhouette. */
export interface DemoPattern {
  /** Pattern key. */
  key: string;
  /** Share of items with this pattern. */
  weight: number;
  /** Words a title may use. */
  titleWords: readonly string[];
  /** Words a query may use, canonical first. */
  queryWords: readonly string[];
}

export const DEMO_TYPES: readonly DemoType[] = [
  {
    key: "t-shirt",
    titleWords: ["T-Shirt", "Tee", "Tshirt"],
    queryWords: ["t-shirt", "tee", "t-shirts", "tshirt"],
    categories: ["Women>Tops>T-Shirts", "Men>Tops>T-Shirts"],
    price: [7, 35],
    materials: ["cotton", "polyester", "linen"],
  },
  {
    key: "dress",
    titleWords: ["Dress", "Midi Dress", "Sundress"],
    queryWords: ["dress", "dresses", "sundress"],
    categories: ["Women>Dresses"],
    price: [18, 120],
    materials: ["cotton", "silk", "polyester", "linen"],
  },
  {
    key: "trousers",
    titleWords: ["Trousers", "Pants", "Chinos"],
    queryWords: ["trousers", "pants", "chinos"],
    categories: ["Women>Trousers", "Men>Trousers"],
    price: [15, 90],
    materials: ["cotton", "denim", "linen", "wool"],
  },
  {
    key: "skirt",
    titleWords: ["Skirt", "Mini Skirt", "A-Line Skirt"],
    queryWords: ["skirt", "skirts", "mini skirt"],
    categories: ["Women>Skirts"],
    price: [12, 70],
    materials: ["cotton", "denim", "polyester"],
  },
  {
    key: "sneaker",
    titleWords: ["Sneakers", "Trainers", "Running Shoes"],
    queryWords: ["sneakers", "sneaker", "trainers"],
    categories: ["Shoes>Sneakers"],
    price: [25, 160],
    materials: ["canvas", "leather", "mesh"],
  },
  {
    key: "handbag",
    titleWords: ["Handbag", "Shoulder Bag", "Tote Bag"],
    queryWords: ["handbag", "bag", "handbags", "tote bag"],
    categories: ["Accessories>Bags"],
    price: [20, 250],
    materials: ["leather", "canvas", "nylon"],
  },
  { key: "hat", titleWords: ["Hat", "Bucket Hat", "Sun Hat"], queryWords: ["hat", "hats", "bucket hat"], categories: ["Accessories>Hats"], price: [6, 45], materials: ["cotton", "straw", "wool"] },
  {
    key: "jacket",
    titleWords: ["Jacket", "Bomber Jacket", "Windbreaker"],
    queryWords: ["jacket", "jackets", "windbreaker"],
    categories: ["Women>Jackets", "Men>Jackets"],
    price: [30, 220],
    materials: ["nylon", "denim", "leather", "wool"],
  },
];

export const DEMO_COLOURS: readonly DemoColour[] = [
  { key: "red", rgb: "#d62728", titleWords: ["Red"], queryWords: ["red"] },
  { key: "blue", rgb: "#1f5fbf", titleWords: ["Blue"], queryWords: ["blue"] },
  { key: "green", rgb: "#2e9e3a", titleWords: ["Green"], queryWords: ["green"] },
  { key: "yellow", rgb: "#f2d027", titleWords: ["Yellow"], queryWords: ["yellow"] },
  { key: "black", rgb: "#1a1a1a", titleWords: ["Black"], queryWords: ["black"] },
  { key: "white", rgb: "#fafafa", titleWords: ["White"], queryWords: ["white"] },
  { key: "pink", rgb: "#f48fb1", titleWords: ["Pink"], queryWords: ["pink"] },
  { key: "purple", rgb: "#7b3fa6", titleWords: ["Purple"], queryWords: ["purple"] },
  { key: "orange", rgb: "#f57c00", titleWords: ["Orange"], queryWords: ["orange"] },
  { key: "grey", rgb: "#8c8c8c", titleWords: ["Grey", "Gray"], queryWords: ["grey", "gray"] },
];

export const DEMO_PATTERNS: readonly DemoPattern[] = [
  { key: "solid", weight: 0.4, titleWords: ["Solid", "Plain"], queryWords: ["solid", "plain"] },
  { key: "striped", weight: 0.15, titleWords: ["Striped", "Stripe"], queryWords: ["striped", "stripes", "stripe"] },
  { key: "dotted", weight: 0.15, titleWords: ["Polka Dot", "Dotted"], queryWords: ["polka dot", "dotted", "dots"] },
  { key: "checked", weight: 0.15, titleWords: ["Plaid", "Checked", "Gingham"], queryWords: ["checked", "plaid", "check"] },
  { key: "floral", weight: 0.15, titleWords: ["Floral", "Flower Print"], queryWords: ["floral", "flower", "flowers"] },
];

/** Invented brands: several multi-word, some with "&", three CJK (to exercise segmentation). */
export const DEMO_BRANDS: readonly string[] = [
  "North Peak",
  "Luma",
  "Velora",
  "Kestrel & Co",
  "Marlow",
  "Odessa Lane",
  "Tidewell",
  "Brixa",
  "Fennick",
  "Solenne",
  "Harbor Loom",
  "Quillon",
  "Zephyra",
  "Aster Row",
  "Mokuro",
  "Tavi",
  "Ondine",
  "Pellam",
  "Varro",
  "Cielo Mar",
  "Junipa",
  "Rook & Reed",
  "Halden",
  "Nimbra",
  "Oaken",
  "Saffi",
  "Lindqvist",
  "山田",
  "森光",
  "小春",
];

/** SEO filler real marketplace titles carry. */
export const TITLE_FILLER: readonly string[] = [
  "New Arrival",
  "2026",
  "Summer",
  "Spring",
  "Autumn",
  "Casual",
  "Fashion",
  "Free Shipping",
  "Hot Sale",
  "High Quality",
  "Korean Style",
  "Slim Fit",
  "Elegant",
  "Vintage",
  "Trendy",
  "Streetwear",
  "Lightweight",
  "Breathable",
  "Daily Wear",
  "Gift for Her",
  "Limited Edition",
  "Best Seller",
  "Premium",
  "Comfortable",
  "Classic",
];
