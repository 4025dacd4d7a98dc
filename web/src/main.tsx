import { render } from "solid-js/web";
import { App } from "./app.tsx";

const root = document.getElementById("root");
if (!root) throw new Error("Relayna Gateway admin: #root element missing from index.html");

render(() => <App />, root);
