using System.Security.Cryptography;
using System.Text;

namespace SqlStudio.Desktop.Components;

/// <summary>
/// The page's only inline scripts, each admitted by the content security policy through its hash (<see cref="Sources"/>):
/// anything else inline is refused. They run before the page's files have arrived, which is why they are inline.
/// </summary>
public static class InlineScripts
{
    /// <summary>
    /// The launch link is answered with the page itself (LocalSecurity); its address becomes "/" before anything else
    /// runs — the app's one route, and no one-time token left in the window's history for a reload to spend again.
    /// </summary>
    public const string LaunchAddress = "if(location.pathname===\"/launch\")history.replaceState(null,\"\",\"/\")";

    /// <summary>
    /// Runs the page's scripts (its <c>link rel="preload" data-load</c>, fetched since the head was read) once the first
    /// frame is painted: the editor's module, then blazor.web.js. Run any sooner, evaluating their 650 KB held the first
    /// paint — the text box that takes keys — by 250–350 ms in a window that has just started (docs/benchmarks.md,
    /// "Start-up, seventh session"). A window that paints no frame (hidden) runs them after 200 ms.
    /// </summary>
    public const string LoadAfterFirstPaint =
        "(()=>{let done=false;const load=()=>{if(done)return;done=true;" +
        "const[editor,blazor]=document.querySelectorAll(\"link[data-load]\");const module=document.createElement(\"script\");" +
        "module.type=\"module\";module.src=editor.href;module.onload=module.onerror=()=>{const script=document.createElement(\"script\");" +
        "script.src=blazor.href;document.body.append(script)};document.body.append(module)};" +
        "requestAnimationFrame(()=>setTimeout(load));setTimeout(load,200)})()";

    /// <summary>The <c>script-src</c> sources that admit these scripts and nothing else inline.</summary>
    public static readonly string Sources = string.Join(' ', new[] { LaunchAddress, EarlyTextBox.Script, LoadAfterFirstPaint }.Select(Hash));

    private static string Hash(string script) => $"'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(script)))}'";
}
