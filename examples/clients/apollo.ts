// Apollo Client: queries over HTTP, subscriptions over graphql-ws.
// npm install @apollo/client graphql rxjs graphql-ws ws
import { ApolloClient, ApolloLink, gql, HttpLink, InMemoryCache } from "@apollo/client";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions";
import { getMainDefinition } from "@apollo/client/utilities";
import { createClient } from "graphql-ws";
import WebSocket from "ws"; // needed by Node.js before 22 only: Node 22+ and browsers have WebSocket built in

export const PAGEVIEWS = gql`
  query Pageviews($year: Int!) {
    stats(account: "acme", event: "pageview", year: $year) { total }
  }
`;
export const LIVE_PAGEVIEWS = gql`
  subscription LivePageviews($year: Int!) {
    stats(account: "acme", event: "pageview", year: $year) { total }
  }
`;

/** httpUrl: http://localhost:8001/graphql; wsUrl: ws://localhost:8001/graphql */
export function createApollo(httpUrl: string, wsUrl: string): ApolloClient {
  const http = new HttpLink({ uri: httpUrl });
  // Subscriptions go over graphql-ws: this server does not speak Apollo's multipart HTTP subscriptions.
  const ws = new GraphQLWsLink(createClient({ url: wsUrl, webSocketImpl: WebSocket, shouldRetry: () => true }));
  const isSubscription = ({ query }: ApolloLink.Operation) => {
    const definition = getMainDefinition(query);
    return definition.kind === "OperationDefinition" && definition.operation === "subscription";
  };
  return new ApolloClient({ link: ApolloLink.split(isSubscription, ws, http), cache: new InMemoryCache() });
}
