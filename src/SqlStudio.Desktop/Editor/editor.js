// The SQL editor of SQL Studio desktop: CodeMirror 6 with the SQL language, completion from the connection's schema,
// and Ctrl/Cmd+Enter to run the selection or the statement at the cursor. Bundled by esbuild at build time
// (package.json "bundle"); the Blazor component SqlEditor.razor drives it through window.SqlStudioEditor.
import { EditorView, basicSetup } from "codemirror";
import { keymap } from "@codemirror/view";
import { Compartment, Prec, EditorState, Transaction } from "@codemirror/state";
import { sql, PostgreSQL, MySQL, SQLite } from "@codemirror/lang-sql";
import { isolateHistory } from "@codemirror/commands";

const editors = new Map();
let nextId = 1;

const dialects = { postgresql: PostgreSQL, mysql: MySQL, sqlite: SQLite };

function language(dialect, schema) {
  return sql({ dialect: dialects[dialect] ?? SQLite, schema: schema ?? {}, upperCaseKeywords: false });
}

// The statement around the cursor: text between the semicolons that are not inside quotes or comments.
export function statementAt(text, position) {
  const bounds = [];
  let quote = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (quote === "--" && c === "\n") quote = null;
      else if (quote === "/*" && c === "*" && text[i + 1] === "/") { quote = null; i++; }
      else if (quote === c && quote.length === 1) quote = null;
      continue;
    }
    if (c === "'" || c === '"' || c === "`") quote = c;
    else if (c === "-" && text[i + 1] === "-") { quote = "--"; i++; }
    else if (c === "/" && text[i + 1] === "*") { quote = "/*"; i++; }
    else if (c === ";") bounds.push(i);
  }
  let start = 0;
  for (const end of bounds) {
    if (position <= end) return text.slice(start, end + 1).trim();
    start = end + 1;
  }
  const rest = text.slice(start).trim();
  // After the last semicolon with nothing but blanks: the statement before it.
  if (rest.length === 0 && bounds.length > 0) {
    const previous = bounds.length > 1 ? bounds[bounds.length - 2] + 1 : 0;
    return text.slice(previous, bounds[bounds.length - 1] + 1).trim();
  }
  return rest;
}

// The component runs the selection or the statement at the cursor (a window closing meanwhile only loses the answer).
function runNow(editor) {
  editor.dotnet.invokeMethodAsync("RunFromEditor", runText(editor.view), editor.view.state.doc.toString()).catch(() => {});
}

function runText(view) {
  const selection = view.state.selection.main;
  if (!selection.empty) return view.state.sliceDoc(selection.from, selection.to);
  return statementAt(view.state.doc.toString(), selection.head);
}

// One editor: CodeMirror in its host element, the tab it shows, and (once the circuit is up) the component to report to.
// Until then `dotnet` is null: what is typed stays in the editor, a run asked for waits, and both are handed over
// when the component takes the editor (see "The editor before the circuit" below).
function makeEditor(host, text, dialect, schema, tab) {
  const languageSlot = new Compartment();
  let timer = null;
  const editor = { host, dotnet: null, runRequested: false, original: text ?? "", languageSlot, state: { tab, held: "" } };
  // Between the tab strip showing another tab (the host's data-tab, set in the same render) and that tab's text
  // arriving (setText), the text shown is still the tab being left.
  editor.opening = () => editor.host.dataset.tab !== undefined && editor.host.dataset.tab !== editor.state.tab;
  editor.view = new EditorView({
    doc: text ?? "",
    parent: host,
    extensions: [
      basicSetup,
      languageSlot.of(language(dialect, schema)),
      EditorView.contentAttributes.of({ "aria-label": "SQL editor" }),
      EditorView.lineWrapping,
      // While a tab opens, what is typed belongs to the new tab: it is held, not written into the tab being left,
      // and typed into the new tab once its text is here.
      EditorState.transactionFilter.of((tr) => {
        if (!tr.docChanged || !tr.annotation(Transaction.userEvent) || !editor.opening()) return tr;
        if (tr.isUserEvent("input")) tr.changes.iterChanges((_a, _b, _c, _d, inserted) => { editor.state.held += inserted.toString(); });
        else if (tr.isUserEvent("delete.backward")) editor.state.held = editor.state.held.slice(0, -1);
        return [];
      }),
      Prec.highest(keymap.of([{
        key: "Mod-Enter",
        // While a tab opens nothing runs: the text shown is still the tab being left. Before the circuit, the run waits.
        run: () => {
          if (editor.opening()) return true;
          if (editor.dotnet) runNow(editor);
          else editor.runRequested = true;
          return true;
        },
      }])),
      EditorView.updateListener.of((update) => {
        if (!update.docChanged || !editor.dotnet) return;
        clearTimeout(timer);
        const typedIn = editor.state.tab;
        timer = setTimeout(() => { timer = null; editor.dotnet.invokeMethodAsync("TextChanged", typedIn, update.state.doc.toString()); }, 300);
      }),
    ],
  });
  editor.flush = () => { if (timer) { clearTimeout(timer); timer = null; return editor.view.state.doc.toString(); } return null; };
  return editor;
}

// A tab's text handed to the component now (a window closing meanwhile only loses the answer).
function report(editor, tab, text) {
  editor.dotnet.invokeMethodAsync("TextChanged", tab, text).catch(() => {});
}

// What is still waiting for its pause in typing, handed over now: before the tab shown changes or the editor goes.
function reportPending(editor) {
  const pending = editor.flush();
  if (pending !== null) report(editor, editor.state.tab, pending);
}

function setLanguage(editor, dialect, schema) {
  editor.view.dispatch({ effects: editor.languageSlot.reconfigure(language(dialect, schema)) });
}

function replaceText(editor, text) {
  if (editor.view.state.doc.toString() !== text) {
    // Setting a tab's text is not an edit of it: no change is reported for it.
    editor.view.dispatch({ changes: { from: 0, to: editor.view.state.doc.length, insert: text ?? "" } });
    editor.flush();
  }
}

function typeHeld(editor) {
  if (editor.state.held && !editor.opening()) {
    const held = editor.state.held;
    editor.state.held = "";
    editor.view.dispatch(editor.view.state.replaceSelection(held), { userEvent: "input.type", scrollIntoView: true });
  }
}

// The editor before the circuit. The page's first HTML carries the first tab's text in a plain text box (App.razor,
// EarlyTextBox), which takes keys at the first paint; as soon as this module has run, the SQL editor takes its place
// with its text, caret and scroll, what was typed in it as one edit that can be undone, and a run asked for in it
// (Ctrl/Cmd+Enter, kept by the page's one inline script). That is about a second before the workbench is live. When the
// workbench renders its editor host, the same editor moves into it (in the task that rendered it: no key is lost, no
// paint shows both), and the component takes it over in create(): what was typed is reported for its tab, a run asked
// for runs.
let early = null;
const earlySlot = document.getElementById("early-editor");
const workbenchHost = () => document.querySelector(".workbench .sql-editor");

// The common start and end of two texts: the one change that turns the first into the second.
function change(before, after) {
  let from = 0;
  while (from < before.length && from < after.length && before[from] === after[from]) from++;
  let tail = 0;
  while (tail < before.length - from && tail < after.length - from && before[before.length - 1 - tail] === after[after.length - 1 - tail]) tail++;
  return { from, to: before.length - tail, insert: after.slice(from, after.length - tail) };
}

// The SQL editor in the text box's place: in one task, so no paint shows both and no key falls between them.
function replaceTextBox(editor, box) {
  const view = editor.view;
  if (box.value !== editor.original) {
    // Its own step in the history: undoing what is typed next does not undo it too.
    view.dispatch({ changes: change(editor.original, box.value), userEvent: "input.type", annotations: isolateHistory.of("full") });
  }
  const length = view.state.doc.length;
  const [start, end] = [Math.min(box.selectionStart, length), Math.min(box.selectionEnd, length)];
  view.dispatch({ selection: box.selectionDirection === "backward" ? { anchor: end, head: start } : { anchor: start, head: end } });
  const hadFocus = document.activeElement === box || document.activeElement === document.body;
  const scrolled = box.scrollTop;
  if (box.dataset.run) editor.runRequested = true;
  box.closest(".early-text").remove();
  view.scrollDOM.scrollTop = scrolled;
  if (hadFocus) view.focus();
}

if (earlySlot && !workbenchHost()) {
  const shell = earlySlot.closest(".early-shell");
  const box = document.getElementById("early-text");
  early = makeEditor(earlySlot, box.defaultValue, earlySlot.dataset.dialect, {}, earlySlot.dataset.tab ?? "");
  replaceTextBox(early, box);
  performance.mark("sqlstudio:sql-editor-live");
  shell.classList.add("live");
  const observer = new MutationObserver(() => {
    const host = workbenchHost();
    if (!host) return;
    observer.disconnect();
    const active = document.activeElement;
    const refocus = !active || active === document.body || shell.contains(active);
    host.appendChild(early.view.dom);
    early.host = host;
    shell.remove();
    if (refocus) early.view.focus();
  });
  observer.observe(document.body, { childList: true, subtree: true });
} else {
  earlySlot?.closest(".early-shell")?.remove();
}

window.SqlStudioEditor = {
  // Every text change is reported with the tab it belongs to: the one editor shows each tab in turn, and a change still
  // waiting for its pause when the tab switches goes to the tab it was typed in.
  // (The marks: "editor-live" when the window first takes keys (the first paint's text box, or an editor made here),
  // "sql-editor-live" when the SQL editor does, "editor-create" when the workbench's component has it.)
  create(host, dotnet, text, dialect, schema, tab) {
    performance.mark("sqlstudio:editor-create");
    const id = nextId++;
    if (early && early.host === host) {
      // The editor the page started with: the component takes it over.
      const editor = early;
      early = null;
      editor.dotnet = dotnet;
      setLanguage(editor, dialect, schema);
      const shown = editor.view.state.doc.toString();
      const typed = shown !== editor.original;
      if (editor.state.tab === tab || editor.state.tab === "") {
        // The same tab (or the first tab of a new workspace, made meanwhile): what was typed is its text.
        editor.state.tab = tab;
        if (typed) report(editor, tab, shown);
        else replaceText(editor, text);
      } else {
        // Another tab came first meanwhile (synced from another device): what was typed stays with its own tab.
        if (typed) report(editor, editor.state.tab, shown);
        editor.state.tab = tab;
        replaceText(editor, text);
      }
      typeHeld(editor);
      if (editor.runRequested) {
        editor.runRequested = false;
        runNow(editor);
      }
      editors.set(id, editor);
      return id;
    }
    const editor = makeEditor(host, text, dialect, schema, tab);
    for (const mark of ["sqlstudio:editor-live", "sqlstudio:sql-editor-live"]) {
      if (performance.getEntriesByName(mark).length === 0) performance.mark(mark);
    }
    editor.dotnet = dotnet;
    editors.set(id, editor);
    return id;
  },
  setSchema(id, dialect, schema) {
    const editor = editors.get(id);
    if (editor) setLanguage(editor, dialect, schema);
  },
  setText(id, text, tab) {
    const editor = editors.get(id);
    if (!editor) return;
    reportPending(editor);
    if (tab !== undefined) editor.state.tab = tab;
    replaceText(editor, text);
    typeHeld(editor);
  },
  // What the editor shows, and which tab it is: the selection or statement to run, and the whole text.
  read(id) {
    const editor = editors.get(id);
    return editor ? { tab: editor.state.tab, run: runText(editor.view), text: editor.view.state.doc.toString() } : null;
  },
  focus(id) {
    editors.get(id)?.view.focus();
  },
  dispose(id) {
    const editor = editors.get(id);
    if (editor) {
      reportPending(editor);
      editor.view.destroy();
      editors.delete(id);
    }
  },
};

// Downloads (CSV, JSON export) without inline script: the component hands the text over, the browser saves it.
window.SqlStudioFiles = {
  save(name, type, text) {
    const url = URL.createObjectURL(new Blob([text], { type }));
    const link = document.createElement("a");
    link.href = url;
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  },
};
