// The room widget's sign-in (bot/web/widget.py). The chat client (Element) and this page talk the Matrix widget
// API over postMessage: the client asks which capabilities we want (none), we ask it for an OpenID token of the
// person using it ("get_openid"), and post the token to our server, which asks the homeserver whose it is.
// Hand-written: these four messages are all we need of the protocol. Texts and the chat clients we answer come
// from the form's data attributes, so the page has no inline script.
"use strict";
(function () {
  var form = document.getElementById("widget-sign-in");
  var status = document.getElementById("widget-status");
  if (!form || !status) return;
  var texts = form.dataset;
  var parents = (texts.parents || "").split(" ").filter(Boolean);
  var widgetId = new URLSearchParams(window.location.search).get("widgetId");
  var requestId = "redi-openid-" + Date.now();
  var client = null; // the chat client's origin, once it has spoken to us
  var asked = false;
  var done = false;
  var waitingForPerson = false;

  function show(text) {
    status.textContent = text;
  }

  if (window.parent === window) {
    show(texts.alone); // opened as a page of its own: there is no chat client to ask
    return;
  }

  function post(message) {
    window.parent.postMessage(message, client);
  }

  function signIn(credentials) {
    if (done) return;
    if (!credentials || credentials.state !== "allowed" || typeof credentials.access_token !== "string") {
      show(texts.blocked);
      done = true;
      return;
    }
    done = true;
    form.elements.access_token.value = credentials.access_token;
    form.elements.matrix_server_name.value = String(credentials.matrix_server_name || "");
    show(texts.signingIn);
    form.submit();
  }

  function askForToken() {
    if (asked) return;
    asked = true;
    post({ api: "fromWidget", widgetId: widgetId, requestId: requestId, action: "get_openid", data: {} });
  }

  function answer(request) {
    var response = {};
    switch (request.action) {
      case "capabilities":
        response = { capabilities: [] }; // an OpenID token needs no capability
        break;
      case "supported_api_versions":
        response = { supported_versions: ["0.0.1", "0.0.2"] };
        break;
      case "openid_credentials": // the person decided in the client's dialog
        if (request.data && request.data.original_request_id === requestId) {
          waitingForPerson = false;
          signIn(request.data);
        }
        break;
      case "notify_capabilities":
      case "visibility":
      case "theme_change":
      case "language_change":
        break;
      default:
        response = { error: { message: "Unsupported action: " + request.action } };
    }
    post(Object.assign({}, request, { response: response }));
    if (request.action === "capabilities") askForToken();
  }

  window.addEventListener("message", function (event) {
    if (event.source !== window.parent || parents.indexOf(event.origin) < 0) return;
    var message = event.data;
    if (!message || typeof message !== "object" || !message.action || !message.requestId) return;
    if (message.api === "toWidget" && !message.response) {
      if (!widgetId) widgetId = message.widgetId;
      if (message.widgetId !== widgetId) return;
      client = event.origin;
      answer(message);
    } else if (message.api === "fromWidget" && message.requestId === requestId && message.response) {
      var reply = message.response;
      if (reply.state === "request") {
        waitingForPerson = true; // the client asks the person; "openid_credentials" follows
        show(texts.waiting);
      } else if (reply.error) {
        show(texts.timeout);
      } else {
        signIn(reply);
      }
    }
  });

  window.setTimeout(function () {
    if (!done && !waitingForPerson) show(texts.timeout);
  }, 20000);
})();
