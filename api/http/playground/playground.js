// The Vitrine playground: one page over the API it is served by (same origin, so no CORS). The key
// lives in sessionStorage and goes out in the Authorization header. ES modules: common.js (helpers,
// the API call), search.js (query, pages, more like this) with facets.js and render.js (cards),
// jobs.js (the jobs panel); this one holds the key panel and starts the page.
import { $, KEY_STORAGE, key } from "./common.js";
import { refreshJobs } from "./jobs.js";
import { loadReleases } from "./search.js";

function showKeyState() {
  $("key-state").textContent = key() ? `key set (…${key().slice(-4)})` : "no key";
}

$("key-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const v = $("key").value.trim();
  if (v) sessionStorage.setItem(KEY_STORAGE, v);
  $("key").value = "";
  showKeyState();
  void loadReleases();
  void refreshJobs();
});
$("key-forget").addEventListener("click", () => {
  sessionStorage.removeItem(KEY_STORAGE);
  showKeyState();
});

showKeyState();
const q = new URLSearchParams(location.search).get("q");
if (q) $("query").value = q;
if (key()) {
  void loadReleases();
  void refreshJobs();
  if (q) $("search").requestSubmit();
}
