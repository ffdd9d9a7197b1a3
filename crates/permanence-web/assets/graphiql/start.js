// Starts GraphiQL on the page `GET /graphql` serves. The page allows no inline script (its
// Content-Security-Policy), so this file does what GraphiQL's own page does inline; the
// endpoints come from the page's data- attributes. React, ReactDOM and GraphiQL are the UMD
// builds loaded before it, from this server.
(function () {
  "use strict";
  var root = document.getElementById("graphiql");
  var endpoint = new URL(root.dataset.endpoint, window.location.href);
  // Subscriptions speak graphql-transport-ws on a WebSocket of the same host: ws: beside
  // http:, wss: beside https:.
  var subscriptions = new URL(root.dataset.subscriptionEndpoint, window.location.href);
  subscriptions.protocol = window.location.protocol === "https:" ? "wss:" : "ws:";
  var fetcher = GraphiQL.createFetcher({
    url: endpoint.href,
    subscriptionUrl: subscriptions.href
  });
  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery:
        "# The permanence GraphQL API. Every request needs a token: write it after \"Bearer \"\n" +
        "# in the Headers tab below, then re-fetch the schema (Shift-Ctrl-R) for the\n" +
        "# documentation and completion.\n" +
        "{\n  today\n}\n",
      // Every request needs a token: the headers editor is open, ready for it.
      defaultHeaders: '{\n  "Authorization": "Bearer "\n}',
      defaultEditorToolsVisibility: "headers",
      // A token kept in the browser's storage would outlive the tab: headers are not kept.
      shouldPersistHeaders: false
    },
    // GraphiQL's own logo links to its project's site: the page names no other host.
    React.createElement(GraphiQL.Logo, null, "Permanence"))
  );
})();
