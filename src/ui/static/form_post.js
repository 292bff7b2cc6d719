/*
 * Sends the response of a form_post authorization (the hidden fields of the
 * page's form) to the application as soon as the page has loaded. The
 * prototype's submit is used because a field named "submit" would hide the
 * form's own method.
 */
"use strict";
window.addEventListener("load", function () {
	var form = document.getElementById("form_post");
	if (form) {
		HTMLFormElement.prototype.submit.call(form);
	}
});
