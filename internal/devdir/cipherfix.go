package devdir

import "bytes"

// cipherFixes repair how phpLDAPadmin 1.2.6 keeps the login in its
// session (lib/functions.php, blowfish_encrypt and blowfish_decrypt): it
// joins the ciphertext, the raw IV and the raw GCM tag with "::" and
// splits them again at "::", so a random IV or tag that ends in ':' or
// holds "::" comes apart wrongly. About 0.4% of encryptions fail that way;
// the UI then answers 500 on every page until the next login. The
// repaired code base64-encodes IV and tag, which then cannot contain ':'.
var cipherFixes = []struct{ from, to string }{
	{
		`return base64_encode($encrypted . '::' . $iv . '::' . $tag);`,
		`return base64_encode($encrypted . '::' . base64_encode($iv) . '::' . base64_encode($tag));`,
	},
	{
		`list($encryptedData, $iv, $tag) = explode('::', base64_decode($encdata), 3);`,
		`list($encryptedData, $iv, $tag) = explode('::', base64_decode($encdata), 3); $iv = base64_decode($iv); $tag = base64_decode($tag);`,
	},
}

// fixSessionCipher applies cipherFixes to the source of functions.php. It
// changes nothing unless every line to repair occurs exactly once (another
// release may have fixed or rewritten them).
func fixSessionCipher(src []byte) (fixed []byte, changed bool) {
	for _, f := range cipherFixes {
		if bytes.Count(src, []byte(f.from)) != 1 {
			return src, false
		}
	}
	out := src
	for _, f := range cipherFixes {
		out = bytes.Replace(out, []byte(f.from), []byte(f.to), 1)
	}
	return out, true
}
