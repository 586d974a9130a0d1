namespace SqlStudio.Desktop.Components;

/// <summary>
/// The text box of the window's first paint (App.razor): the first tab's text in a plain <c>textarea</c>, focused by
/// the browser and taking keys before any script has run; editor.js replaces it with the SQL editor (its text, caret,
/// scroll and what was typed, as an edit that can be undone) as soon as its code has run. Its inline script keeps a
/// Ctrl/Cmd+Enter pressed meanwhile for the editor to run, and marks when the box first takes keys; the content security
/// policy admits it by its hash (<see cref="InlineScripts"/>).
/// </summary>
public static class EarlyTextBox
{
    /// <summary>The box's id (editor.js looks it up).</summary>
    public const string Id = "early-text";

    /// <summary>Runs right after the box is parsed; the mark comes with the first frame that shows it.</summary>
    public const string Script =
        "(()=>{const t=document.getElementById(\"" + Id + "\");" +
        "t.addEventListener(\"keydown\",e=>{if(e.key===\"Enter\"&&(e.ctrlKey||e.metaKey)){e.preventDefault();t.dataset.run=\"1\"}});" +
        "requestAnimationFrame(()=>performance.mark(\"sqlstudio:editor-live\"))})()";

    /// <summary>The line numbers beside the box until the editor draws its own (its text's lines, at least one).</summary>
    public static int Lines(string text) => text.Count(c => c == '\n') + 1;
}
