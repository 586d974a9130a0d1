// Progressive enhancement for the server-rendered forms; every page works without it.

// Loading state: a submitted form's button shows Pico's busy spinner and cannot be pressed twice.
for (const form of document.querySelectorAll("form[data-busy]")) {
  form.addEventListener("submit", () => {
    const button = form.querySelector("button[type=submit]");
    if (button) {
      button.setAttribute("aria-busy", "true");
      // Disabled after the event, so the button's own name/value still goes with the form.
      setTimeout(() => { button.disabled = true; }, 0);
    }
  });
}

// Live password strength: the server's rules, checked as the user types, plus a rough strength score.
const rules = [
  { id: "length", text: "8 to 128 characters", test: (p) => p.length >= 8 && p.length <= 128 },
  { id: "digit", text: "a digit", test: (p) => /\d/.test(p) },
  { id: "symbol", text: "a symbol", test: (p) => /[^\p{L}\p{N}]/u.test(p) },
];
const labels = ["Too weak", "Weak", "Fair", "Good", "Strong"];

function score(p) {
  if (!p) return 0;
  const classes = [/[a-z]/, /[A-Z]/, /\d/, /[^\p{L}\p{N}]/u].filter((r) => r.test(p)).length;
  const unique = new Set(p).size;
  let s = 0;
  if (p.length >= 8) s++;
  if (p.length >= 12) s++;
  if (classes >= 3) s++;
  if (p.length >= 16 || (classes === 4 && unique >= 10)) s++;
  if (unique < 5 || /^(.)\1+$/.test(p)) s = Math.min(s, 1);
  return Math.min(s, 4);
}

for (const input of document.querySelectorAll("input[data-strength]")) {
  const meter = document.createElement("div");
  meter.className = "strength";
  meter.setAttribute("aria-live", "polite");
  meter.innerHTML = '<progress max="4" value="0"></progress><small class="strength-label"></small><ul class="strength-rules"></ul>';
  input.insertAdjacentElement("afterend", meter);
  const progress = meter.querySelector("progress");
  const label = meter.querySelector(".strength-label");
  const list = meter.querySelector(".strength-rules");
  for (const rule of rules) {
    const item = document.createElement("li");
    item.dataset.rule = rule.id;
    item.textContent = rule.text;
    list.append(item);
  }
  const update = () => {
    const p = input.value;
    const s = p ? score(p) : 0;
    progress.value = s;
    meter.dataset.score = String(s);
    label.textContent = p ? `Strength: ${labels[s]}` : "";
    for (const rule of rules) {
      list.querySelector(`[data-rule=${rule.id}]`).classList.toggle("met", rule.test(p));
    }
  };
  input.addEventListener("input", update);
  update();
}
