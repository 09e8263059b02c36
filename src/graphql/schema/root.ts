import { builder } from "./builder.js";

builder.queryType({ description: "Counts as stored: time series (`stats`), funnels (`funnel`) and what exists." });
builder.subscriptionType({ description: "Live updates, pushed after every flush that Redis has accepted." });
